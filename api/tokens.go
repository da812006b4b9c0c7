package api

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Roles a token can have.
const (
	RoleViewer   = "viewer"   // reads assessments
	RoleReviewer = "reviewer" // also decides cases (staff workflow)
	RoleAdmin    = "admin"    // everything, every shop
)

// Token is one API credential.
type Token struct {
	Token string `yaml:"token"`
	Shop  string `yaml:"shop"` // a shop id, or "*" for all shops
	Role  string `yaml:"role"`
	Name  string `yaml:"name"` // who holds it, for audit logs
}

// AllShops reports whether the token sees every shop.
func (t Token) AllShops() bool { return t.Shop == "*" }

// Tokens is the set of known tokens, looked up by hash so that comparing a
// guess takes the same time whatever it shares with a real token.
type Tokens struct{ byHash map[[32]byte]Token }

// NewTokens checks and indexes tokens.
func NewTokens(list []Token) (*Tokens, error) {
	t := &Tokens{byHash: make(map[[32]byte]Token, len(list))}
	for i, tok := range list {
		if err := tok.validate(); err != nil {
			return nil, fmt.Errorf("api: token %d: %w", i+1, err)
		}
		h := sha256.Sum256([]byte(tok.Token))
		if _, dup := t.byHash[h]; dup {
			return nil, fmt.Errorf("api: token %d: duplicate token", i+1)
		}
		t.byHash[h] = tok
	}
	return t, nil
}

func (t Token) validate() error {
	switch {
	case len(t.Token) < 16:
		return errors.New("token: must be at least 16 characters")
	case t.Shop == "":
		return errors.New(`shop: required (a shop id, or "*")`)
	case t.Role != RoleViewer && t.Role != RoleReviewer && t.Role != RoleAdmin:
		return fmt.Errorf("role: %q is not viewer, reviewer or admin", t.Role)
	case t.Role == RoleAdmin && t.Shop != "*":
		return errors.New(`shop: an admin token is for all shops ("*")`)
	}
	return nil
}

// FromRequest finds the request's bearer token.
func (t *Tokens) FromRequest(r *http.Request) (Token, bool) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return Token{}, false
	}
	tok, ok := t.byHash[sha256.Sum256([]byte(strings.TrimSpace(raw)))]
	return tok, ok
}

// ParseTokens reads a tokens file:
//
//	tokens:
//	  - {token: "…", shop: shop-1, role: viewer, name: after-sales}
//	  - {token: "…", shop: "*", role: admin}
//
// Errors name the line.
func ParseTokens(r io.Reader) ([]Token, error) {
	var doc struct {
		Tokens []yaml.Node `yaml:"tokens"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("api: tokens file: %w", err)
	}
	out := make([]Token, 0, len(doc.Tokens))
	for _, n := range doc.Tokens {
		var t Token
		if err := n.Decode(&t); err != nil {
			return nil, fmt.Errorf("api: tokens file: line %d: %w", n.Line, err)
		}
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("api: tokens file: line %d: %w", n.Line, err)
		}
		out = append(out, t)
	}
	return out, nil
}
