package csrf

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// FuzzToken feeds arbitrary strings to the token parser and verifier. The
// parser must never panic, must accept only the one spelling of a token
// (decoding then encoding gives the input back), and nothing but a token
// the key issued may verify: the fuzzer cannot forge an HMAC.
func FuzzToken(f *testing.F) {
	keys := keyring{newKey([]byte(strings.Repeat("k", 32)))}
	now := time.Unix(1_800_000_000, 0)
	// The fuzzer runs this in several processes, so the seed token must not
	// depend on a random session id.
	var seed rawToken
	seed[0] = tokenVersion
	copy(seed[1:expiryOffset], "fixed session id")
	binary.BigEndian.PutUint64(seed[expiryOffset:payloadLen], uint64(now.Add(time.Hour).Unix()))
	var sum [sha256.Size]byte
	keys[0].mac(&seed, &sum)
	copy(seed[payloadLen:], sum[:])
	issued := seed.encode()
	for _, s := range []string{
		issued,
		issued[:75],
		issued + "A",
		strings.Repeat("A", 76),
		strings.Repeat("_", 76),
		strings.Repeat("=", 76),
		"",
		"AQ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var tok rawToken
		if !tok.decode(s) {
			return
		}
		if got := tok.encode(); got != s {
			t.Fatalf("decode(%q) then encode gives %q: a token has two spellings", s, got)
		}
		if keys.verify(&tok, now) == 0 && s != issued {
			t.Fatalf("%q verifies but was never issued", s)
		}
	})
}
