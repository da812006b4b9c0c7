package api

// GET /v1/openapi.json: the API described as OpenAPI 3.1. The document is
// written by hand below; TestOpenAPIMatchesRoutes checks that it names every
// route the handlers register and nothing else, and that each of its
// operations reaches a handler.

import (
	"net/http"
)

// HandleOpenAPI serves the OpenAPI document (no token needed: it holds no data).
func (s *Server) HandleOpenAPI() {
	s.route("GET /v1/openapi.json", "/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(OpenAPI))
	})
}

// OpenAPI is the API's OpenAPI 3.1 document.
const OpenAPI = `{
 "openapi": "3.1.0",
 "info": {
  "title": "SellerGuard API",
  "version": "1",
  "description": "Refund assessments and the staff review workflow. Every /v1/ call but this document needs Authorization: Bearer <token>. Shop tokens see their shop only (another shop's object is 404); viewer tokens read, reviewer tokens also act on cases of their shop, admin tokens everything (add ?shop_id= when an id exists in several shops)."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "tags": [
  {
   "name": "lookup"
  },
  {
   "name": "review"
  },
  {
   "name": "offenders"
  },
  {
   "name": "allowances"
  },
  {
   "name": "webhooks"
  },
  {
   "name": "meta"
  }
 ],
 "paths": {
  "/v1/refunds/{refund_id}": {
   "get": {
    "summary": "The current assessment of a refund",
    "tags": [
     "lookup"
    ],
    "operationId": "getV1RefundsRefundId",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The assessment.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Assessment"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/refunds/assess": {
   "post": {
    "summary": "Assess a refund now from its events (stored as facts, as if from Kafka)",
    "tags": [
     "lookup"
    ],
    "operationId": "postV1RefundsAssess",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "refund"
        ],
        "properties": {
         "refund": {
          "type": "object",
          "description": "A refund event (contract schema)."
         },
         "order": {
          "type": "object",
          "description": "Its order event."
         },
         "return": {
          "type": "object",
          "description": "Its return parcel event."
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The assessment.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Assessment"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/allowances": {
   "post": {
    "summary": "Mark an identifier safe for named rules until an expiry (allowlist, snooze)",
    "tags": [
     "allowances"
    ],
    "operationId": "postV1Allowances",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AllowanceRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Stored.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   },
   "get": {
    "summary": "The shop's allowances",
    "tags": [
     "allowances"
    ],
    "operationId": "getV1Allowances",
    "parameters": [
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The allowances.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "allowances"
         ],
         "properties": {
          "allowances": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Allowance"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/webhooks/parked": {
   "get": {
    "summary": "Parked webhook deliveries (admin tokens)",
    "tags": [
     "webhooks"
    ],
    "operationId": "getV1WebhooksParked",
    "responses": {
     "200": {
      "description": "The deliveries.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "deliveries"
         ],
         "properties": {
          "deliveries": {
           "type": "array",
           "items": {
            "type": "object"
           }
          }
         }
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/webhooks/parked/replay": {
   "post": {
    "summary": "Replay parked webhook deliveries (admin tokens)",
    "tags": [
     "webhooks"
    ],
    "operationId": "postV1WebhooksParkedReplay",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [],
        "properties": {
         "ids": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "description": "Empty: all."
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "How many were replayed.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "replayed"
         ],
         "properties": {
          "replayed": {
           "type": "integer"
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/offenders": {
   "post": {
    "summary": "Confirm a case's identifiers as known offenders",
    "tags": [
     "offenders"
    ],
    "operationId": "postV1Offenders",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/OffenderRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Stored (keyed hashes only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/OffenderResponse"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases": {
   "get": {
    "summary": "The review queue, most urgent first (blocked, score, amount, age)",
    "tags": [
     "review"
    ],
    "operationId": "getV1Cases",
    "parameters": [
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     },
     {
      "name": "rule",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "Only cases flagged by this rule."
     },
     {
      "name": "decision",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "review",
        "block"
       ]
      }
     },
     {
      "name": "owner",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "A reviewer's name, me, or none (unclaimed)."
     },
     {
      "name": "overdue",
      "in": "query",
      "schema": {
       "type": "boolean"
      }
     },
     {
      "name": "status",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "open",
        "closed",
        "all"
       ],
       "default": "open"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 100
      }
     }
    ],
    "responses": {
     "200": {
      "description": "One page of cases.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseList"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}": {
   "get": {
    "summary": "One case: decision, score, reasons in plain words with evidence links, state, audit log",
    "tags": [
     "review"
    ],
    "operationId": "getV1CasesRefundId",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The case.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/claim": {
   "post": {
    "summary": "Claim the case: one owner at a time",
    "tags": [
     "review"
    ],
    "operationId": "postV1CasesRefundIdClaim",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The case after the step.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/release": {
   "post": {
    "summary": "Release the claim (its owner; admins: anyone's)",
    "tags": [
     "review"
    ],
    "operationId": "postV1CasesRefundIdRelease",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The case after the step.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/verdict": {
   "post": {
    "summary": "Close the case with a verdict (its owner)",
    "tags": [
     "review"
    ],
    "operationId": "postV1CasesRefundIdVerdict",
    "description": "Records who and when in the audit log, counts the verdict for each rule of the assessment, confirms the case's identifiers as known offenders (fraud), and publishes a decision event with the reviewer's outcome (decision block for fraud, approve for legit, with a review object). Repeating the same verdict is harmless.",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "verdict",
         "note"
        ],
        "additionalProperties": false,
        "properties": {
         "verdict": {
          "type": "string",
          "enum": [
           "fraud",
           "legit"
          ]
         },
         "note": {
          "type": "string",
          "minLength": 1,
          "maxLength": 2000
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The case after the step.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/reopen": {
   "post": {
    "summary": "Reopen a closed case, withdrawing its verdict",
    "tags": [
     "review"
    ],
    "operationId": "postV1CasesRefundIdReopen",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
         "note": {
          "type": "string",
          "maxLength": 2000
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The case after the step.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/deadline": {
   "post": {
    "summary": "Move an open case's deadline",
    "tags": [
     "review"
    ],
    "operationId": "postV1CasesRefundIdDeadline",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "deadline"
        ],
        "additionalProperties": false,
        "properties": {
         "deadline": {
          "type": "string",
          "format": "date-time"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The case after the step.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CaseDetail"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "The token's role may not do this (viewers read only).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/cases/{refund_id}/evidence": {
   "get": {
    "summary": "The evidence pack: facts, times and sources of a case",
    "tags": [
     "review"
    ],
    "operationId": "getV1CasesRefundIdEvidence",
    "parameters": [
     {
      "name": "refund_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The pack.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/EvidencePack"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/search": {
   "get": {
    "summary": "Find refunds by refund id, order id, return waybill or buyer id",
    "tags": [
     "review"
    ],
    "operationId": "getV1Search",
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "required": true,
      "schema": {
       "type": "string",
       "maxLength": 128
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "Matching refunds.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SearchResult"
        }
       }
      }
     },
     "400": {
      "description": "Bad input: the message names the field.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/buyers/{buyer_id}": {
   "get": {
    "summary": "An account: orders, refunds, flags, verdicts and linked accounts",
    "tags": [
     "review"
    ],
    "operationId": "getV1BuyersBuyerId",
    "parameters": [
     {
      "name": "buyer_id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The account.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/BuyerView"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Unknown to the caller (another shop's object looks the same).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "Conflict: the case's state forbids it (case_taken, case_closed, case_open, not_claimed, not_owner, not_in_queue, ambiguous_refund, ambiguous_buyer).",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/rules": {
   "get": {
    "summary": "Per rule: hits, confirmed fraud and legit, precision over 7 and 30 days",
    "tags": [
     "review"
    ],
    "operationId": "getV1Rules",
    "parameters": [
     {
      "name": "shop_id",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "Admin tokens: the shop (required when the id exists in several shops). Shop tokens: their own shop or nothing."
     }
    ],
    "responses": {
     "200": {
      "description": "The rules.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RuleStats"
        }
       }
      }
     },
     "401": {
      "description": "Missing or unknown token.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "A store is not reachable.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "security": [
     {
      "bearer": []
     }
    ]
   }
  },
  "/v1/openapi.json": {
   "get": {
    "summary": "This document",
    "tags": [
     "meta"
    ],
    "operationId": "getV1OpenapiJson",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    },
    "security": []
   }
  },
  "/healthz": {
   "get": {
    "summary": "Liveness",
    "tags": [
     "meta"
    ],
    "operationId": "getHealthz",
    "responses": {
     "200": {
      "description": "Alive.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    },
    "security": []
   }
  },
  "/readyz": {
   "get": {
    "summary": "Readiness: Kafka and Redis answer",
    "tags": [
     "meta"
    ],
    "operationId": "getReadyz",
    "responses": {
     "200": {
      "description": "Ready.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "additionalProperties": {
          "type": "string"
         }
        }
       }
      }
     },
     "503": {
      "description": "Not ready: the failing dependency.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "additionalProperties": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "security": []
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics",
    "tags": [
     "meta"
    ],
    "operationId": "getMetrics",
    "responses": {
     "200": {
      "description": "Prometheus text format.",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    },
    "security": []
   }
  }
 },
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer"
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string"
       },
       "message": {
        "type": "string"
       }
      }
     }
    }
   },
   "Text": {
    "type": "object",
    "required": [
     "zh",
     "en"
    ],
    "properties": {
     "zh": {
      "type": "string"
     },
     "en": {
      "type": "string"
     }
    }
   },
   "Reason": {
    "type": "object",
    "required": [
     "rule",
     "severity",
     "message",
     "evidence"
    ],
    "properties": {
     "rule": {
      "type": "string"
     },
     "severity": {
      "type": "string",
      "enum": [
       "low",
       "medium",
       "high",
       "critical"
      ]
     },
     "message": {
      "$ref": "#/components/schemas/Text"
     },
     "evidence": {
      "type": "object"
     }
    }
   },
   "Assessment": {
    "type": "object",
    "required": [
     "refund_id",
     "shop_id",
     "decision",
     "score",
     "reasons",
     "assessed_at",
     "ruleset_version"
    ],
    "properties": {
     "refund_id": {
      "type": "string"
     },
     "shop_id": {
      "type": "string"
     },
     "order_id": {
      "type": "string"
     },
     "buyer_id": {
      "type": "string"
     },
     "decision": {
      "type": "string",
      "enum": [
       "approve",
       "review",
       "block"
      ]
     },
     "score": {
      "type": "integer",
      "minimum": 0,
      "maximum": 100
     },
     "reasons": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Reason"
      }
     },
     "assessed_at": {
      "type": "string",
      "format": "date-time"
     },
     "ruleset_version": {
      "type": "string"
     }
    }
   },
   "CaseSummary": {
    "type": "object",
    "required": [
     "shop_id",
     "refund_id",
     "score",
     "rules",
     "amount_minor",
     "queued",
     "status",
     "overdue",
     "age_seconds"
    ],
    "properties": {
     "shop_id": {
      "type": "string"
     },
     "refund_id": {
      "type": "string"
     },
     "order_id": {
      "type": "string"
     },
     "buyer_id": {
      "type": "string"
     },
     "decision": {
      "type": "string",
      "enum": [
       "approve",
       "review",
       "block"
      ]
     },
     "score": {
      "type": "integer"
     },
     "rules": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "amount_minor": {
      "type": "integer"
     },
     "refund_kind": {
      "type": "string"
     },
     "refund_reason": {
      "type": "string"
     },
     "requested_at": {
      "type": "string",
      "format": "date-time"
     },
     "assessed_at": {
      "type": "string",
      "format": "date-time"
     },
     "queued": {
      "type": "boolean",
      "description": "In the review queue (decision review or block)."
     },
     "status": {
      "type": "string",
      "enum": [
       "open",
       "closed",
       "unopened"
      ]
     },
     "owner": {
      "type": "string"
     },
     "claimed_at": {
      "type": "string",
      "format": "date-time"
     },
     "opened_at": {
      "type": "string",
      "format": "date-time"
     },
     "deadline": {
      "type": "string",
      "format": "date-time"
     },
     "overdue": {
      "type": "boolean"
     },
     "age_seconds": {
      "type": "integer"
     },
     "verdict": {
      "type": "string",
      "enum": [
       "fraud",
       "legit"
      ]
     },
     "note": {
      "type": "string"
     },
     "decided_by": {
      "type": "string"
     },
     "decided_at": {
      "type": "string",
      "format": "date-time"
     },
     "reopened": {
      "type": "integer"
     },
     "pending_effects": {
      "type": "boolean"
     }
    }
   },
   "Link": {
    "type": "object",
    "required": [
     "kind",
     "id",
     "href"
    ],
    "properties": {
     "kind": {
      "type": "string",
      "enum": [
       "refund",
       "buyer",
       "order",
       "waybill",
       "message"
      ]
     },
     "id": {
      "type": "string"
     },
     "href": {
      "type": "string"
     }
    }
   },
   "Fact": {
    "type": "object",
    "required": [
     "key",
     "label",
     "value"
    ],
    "properties": {
     "key": {
      "type": "string"
     },
     "label": {
      "$ref": "#/components/schemas/Text"
     },
     "value": {
      "$ref": "#/components/schemas/Text"
     }
    }
   },
   "Quote": {
    "type": "object",
    "required": [
     "message_id",
     "text"
    ],
    "properties": {
     "message_id": {
      "type": "string"
     },
     "channel": {
      "type": "string"
     },
     "text": {
      "type": "string"
     },
     "phrases": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "ExplainedReason": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Reason"
     },
     {
      "type": "object",
      "required": [
       "rule_name",
       "links",
       "facts"
      ],
      "properties": {
       "rule_name": {
        "$ref": "#/components/schemas/Text"
       },
       "links": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Link"
        }
       },
       "facts": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Fact"
        }
       },
       "quotes": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Quote"
        }
       }
      }
     }
    ]
   },
   "AuditEntry": {
    "type": "object",
    "required": [
     "at",
     "action"
    ],
    "properties": {
     "at": {
      "type": "string",
      "format": "date-time"
     },
     "by": {
      "type": "string"
     },
     "action": {
      "type": "string",
      "enum": [
       "opened",
       "claimed",
       "released",
       "verdict",
       "reopened",
       "deadline"
      ]
     },
     "verdict": {
      "type": "string"
     },
     "note": {
      "type": "string"
     },
     "from": {
      "type": "string"
     },
     "deadline": {
      "type": "string",
      "format": "date-time"
     },
     "rules": {
      "type": "string"
     }
    }
   },
   "CaseDetail": {
    "allOf": [
     {
      "$ref": "#/components/schemas/CaseSummary"
     },
     {
      "type": "object",
      "required": [
       "reasons",
       "audit",
       "actions"
      ],
      "properties": {
       "ruleset_version": {
        "type": "string"
       },
       "action": {
        "type": "string"
       },
       "mode": {
        "type": "string"
       },
       "enforced": {
        "type": "boolean"
       },
       "guardrail": {
        "type": "object"
       },
       "suppressed": {
        "type": "array",
        "items": {
         "type": "object"
        }
       },
       "reasons": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/ExplainedReason"
        }
       },
       "audit": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/AuditEntry"
        }
       },
       "actions": {
        "type": "array",
        "items": {
         "type": "string",
         "enum": [
          "claim",
          "release",
          "verdict",
          "reopen",
          "deadline"
         ]
        }
       }
      }
     }
    ]
   },
   "CaseList": {
    "type": "object",
    "required": [
     "cases",
     "total",
     "truncated"
    ],
    "properties": {
     "cases": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/CaseSummary"
      }
     },
     "total": {
      "type": "integer"
     },
     "truncated": {
      "type": "boolean"
     }
    }
   },
   "SearchResult": {
    "type": "object",
    "required": [
     "query",
     "hits"
    ],
    "properties": {
     "query": {
      "type": "string"
     },
     "hits": {
      "type": "array",
      "items": {
       "allOf": [
        {
         "$ref": "#/components/schemas/CaseSummary"
        },
        {
         "type": "object",
         "required": [
          "matched_by"
         ],
         "properties": {
          "matched_by": {
           "type": "array",
           "items": {
            "type": "string",
            "enum": [
             "refund",
             "order",
             "waybill",
             "buyer"
            ]
           }
          }
         }
        }
       ]
      }
     }
    }
   },
   "BuyerView": {
    "type": "object",
    "required": [
     "shop_id",
     "buyer_id",
     "orders",
     "refunds",
     "flagged",
     "fraud",
     "legit",
     "linked",
     "truncated"
    ],
    "properties": {
     "shop_id": {
      "type": "string"
     },
     "buyer_id": {
      "type": "string"
     },
     "orders": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "order_id",
        "amount_minor",
        "items"
       ],
       "properties": {
        "order_id": {
         "type": "string"
        },
        "status": {
         "type": "string"
        },
        "created_at": {
         "type": "string",
         "format": "date-time"
        },
        "amount_minor": {
         "type": "integer"
        },
        "items": {
         "type": "integer"
        },
        "receiver": {
         "type": "string"
        }
       }
      }
     },
     "refunds": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "refund_id",
        "order_id",
        "score",
        "rules"
       ],
       "properties": {
        "refund_id": {
         "type": "string"
        },
        "order_id": {
         "type": "string"
        },
        "kind": {
         "type": "string"
        },
        "reason": {
         "type": "string"
        },
        "status": {
         "type": "string"
        },
        "requested_at": {
         "type": "string",
         "format": "date-time"
        },
        "decision": {
         "type": "string"
        },
        "score": {
         "type": "integer"
        },
        "rules": {
         "type": "array",
         "items": {
          "type": "string"
         }
        },
        "case_status": {
         "type": "string"
        },
        "verdict": {
         "type": "string"
        },
        "decided_by": {
         "type": "string"
        },
        "decided_at": {
         "type": "string",
         "format": "date-time"
        }
       }
      }
     },
     "flagged": {
      "type": "integer"
     },
     "fraud": {
      "type": "integer"
     },
     "legit": {
      "type": "integer"
     },
     "linked": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "buyer_id",
        "via",
        "refunds"
       ],
       "properties": {
        "buyer_id": {
         "type": "string"
        },
        "refunds": {
         "type": "integer"
        },
        "via": {
         "type": "array",
         "items": {
          "type": "object",
          "required": [
           "kind"
          ],
          "properties": {
           "kind": {
            "type": "string",
            "enum": [
             "address",
             "phone",
             "sender_phone",
             "sender_name_address"
            ]
           },
           "order_id": {
            "type": "string"
           },
           "their_order_id": {
            "type": "string"
           },
           "refund_id": {
            "type": "string"
           },
           "tracking_no": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "truncated": {
      "type": "boolean"
     }
    }
   },
   "RuleWindow": {
    "type": "object",
    "required": [
     "hits",
     "fraud",
     "legit",
     "precision"
    ],
    "properties": {
     "hits": {
      "type": "integer"
     },
     "fraud": {
      "type": "integer"
     },
     "legit": {
      "type": "integer"
     },
     "precision": {
      "type": [
       "number",
       "null"
      ],
      "minimum": 0,
      "maximum": 1
     }
    }
   },
   "RuleStats": {
    "type": "object",
    "required": [
     "shops",
     "until",
     "rules"
    ],
    "properties": {
     "shops": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "until": {
      "type": "string",
      "format": "date"
     },
     "rules": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "rule",
        "name",
        "days_7",
        "days_30"
       ],
       "properties": {
        "rule": {
         "type": "string"
        },
        "name": {
         "$ref": "#/components/schemas/Text"
        },
        "days_7": {
         "$ref": "#/components/schemas/RuleWindow"
        },
        "days_30": {
         "$ref": "#/components/schemas/RuleWindow"
        }
       }
      }
     }
    }
   },
   "Source": {
    "type": "object",
    "required": [
     "kind"
    ],
    "properties": {
     "kind": {
      "type": "string",
      "enum": [
       "order",
       "refund",
       "return",
       "message",
       "review"
      ]
     },
     "event_id": {
      "type": "string"
     },
     "occurred_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "EvidenceRefund": {
    "type": "object",
    "required": [
     "refund_id",
     "why"
    ],
    "properties": {
     "refund_id": {
      "type": "string"
     },
     "order_id": {
      "type": "string"
     },
     "buyer_id": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "requested_at": {
      "type": "string",
      "format": "date-time"
     },
     "tracking_no": {
      "type": "string"
     },
     "filled_at": {
      "type": "string",
      "format": "date-time"
     },
     "decision": {
      "type": "string"
     },
     "verdict": {
      "type": "string"
     },
     "why": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "EvidencePack": {
    "type": "object",
    "required": [
     "generated_at",
     "generated_by",
     "shop_id",
     "refund_id",
     "case",
     "waybill_refunds",
     "linked_refunds",
     "messages",
     "timeline"
    ],
    "properties": {
     "generated_at": {
      "type": "string",
      "format": "date-time"
     },
     "generated_by": {
      "type": "string"
     },
     "shop_id": {
      "type": "string"
     },
     "refund_id": {
      "type": "string"
     },
     "case": {
      "$ref": "#/components/schemas/CaseDetail"
     },
     "refund": {
      "type": "object",
      "description": "The refund's newest event, as received."
     },
     "order": {
      "type": "object",
      "description": "The order's newest event."
     },
     "parcel": {
      "type": "object",
      "required": [
       "tracking_no",
       "sources"
      ],
      "properties": {
       "tracking_no": {
        "type": "string"
       },
       "carrier": {
        "type": "string"
       },
       "status": {
        "type": "string"
       },
       "weight_g": {
        "type": "integer"
       },
       "expected_weight_g": {
        "type": "integer"
       },
       "inspection": {
        "type": "object"
       },
       "sender": {
        "type": "object"
       },
       "recipient": {
        "type": "object"
       },
       "linked_refund_id": {
        "type": "string"
       },
       "sources": {
        "type": "object",
        "additionalProperties": {
         "$ref": "#/components/schemas/Source"
        }
       }
      }
     },
     "waybill_refunds": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/EvidenceRefund"
      }
     },
     "linked_refunds": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/EvidenceRefund"
      }
     },
     "messages": {
      "type": "array",
      "items": {
       "type": "object",
       "description": "A buyer message event, text in full."
      }
     },
     "timeline": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "at",
        "what",
        "source"
       ],
       "properties": {
        "at": {
         "type": "string",
         "format": "date-time"
        },
        "what": {
         "$ref": "#/components/schemas/Text"
        },
        "source": {
         "$ref": "#/components/schemas/Source"
        }
       }
      }
     }
    }
   },
   "Allowance": {
    "type": "object",
    "required": [
     "kind",
     "key",
     "rules",
     "until"
    ],
    "properties": {
     "kind": {
      "type": "string",
      "enum": [
       "account",
       "phone",
       "address",
       "sender"
      ]
     },
     "key": {
      "type": "string"
     },
     "rules": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "until": {
      "type": "string",
      "format": "date-time"
     },
     "reason": {
      "type": "string"
     },
     "by": {
      "type": "string"
     },
     "at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "AllowanceRequest": {
    "type": "object",
    "required": [
     "kind",
     "rules",
     "until",
     "reason"
    ],
    "properties": {
     "shop_id": {
      "type": "string"
     },
     "refund_id": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "enum": [
       "account",
       "phone",
       "address",
       "sender"
      ]
     },
     "value": {
      "type": "string"
     },
     "address": {
      "type": "object"
     },
     "rules": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "until": {
      "type": "string",
      "format": "date-time"
     },
     "reason": {
      "type": "string"
     }
    }
   },
   "OffenderRequest": {
    "type": "object",
    "required": [
     "refund_id",
     "identifiers"
    ],
    "properties": {
     "shop_id": {
      "type": "string"
     },
     "refund_id": {
      "type": "string"
     },
     "identifiers": {
      "type": "array",
      "minItems": 1,
      "maxItems": 50,
      "items": {
       "type": "object",
       "required": [
        "kind"
       ],
       "properties": {
        "kind": {
         "type": "string",
         "enum": [
          "account",
          "phone",
          "address",
          "sender"
         ]
        },
        "value": {
         "type": "string"
        },
        "address": {
         "type": "object"
        }
       }
      }
     }
    }
   },
   "OffenderResponse": {
    "type": "object",
    "required": [
     "shop_id",
     "refund_id",
     "confirmed_at",
     "identifiers"
    ],
    "properties": {
     "shop_id": {
      "type": "string"
     },
     "refund_id": {
      "type": "string"
     },
     "confirmed_at": {
      "type": "string",
      "format": "date-time"
     },
     "identifiers": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "kind",
        "hash"
       ],
       "properties": {
        "kind": {
         "type": "string"
        },
        "hash": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  }
 }
}
`
