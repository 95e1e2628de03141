package csrf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A token is the unpadded base64url encoding (RFC 4648 §5) of 57 bytes:
//
//	version (1 byte, 1) | session id (16 random bytes) | expiry (8 bytes,
//	big-endian Unix seconds) | HMAC-SHA256 of the first 25 bytes (32 bytes)
//
// that is 76 characters, all of them valid in a cookie and a header without
// quoting. Because 57 is a multiple of 3 the encoding has no padding bits,
// so every token has exactly one spelling.
const (
	tokenVersion   = 1
	sessionIDLen   = 16
	payloadLen     = 1 + sessionIDLen + 8
	rawTokenLen    = payloadLen + sha256.Size
	encodedToken   = rawTokenLen / 3 * 4
	expiryOffset   = 1 + sessionIDLen
	minSecretBytes = 32
)

type rawToken [rawTokenLen]byte

// decode parses an encoded token into t. It refuses any string that is not
// exactly 76 base64url characters, and never allocates.
func (t *rawToken) decode(s string) bool {
	if len(s) != encodedToken {
		return false
	}
	for i, j := 0, 0; i < len(s); i, j = i+4, j+3 {
		a, b, c, d := base64URL[s[i]], base64URL[s[i+1]], base64URL[s[i+2]], base64URL[s[i+3]]
		if (a|b|c|d)&notBase64 != 0 {
			return false
		}
		t[j] = a<<2 | b>>4
		t[j+1] = b<<4 | c>>2
		t[j+2] = c<<6 | d
	}
	return t[0] == tokenVersion
}

// base64URL maps a byte to its base64url value, or to 0xff. It is built
// once and only read: a table is what makes decoding cheap enough for every
// unsafe request.
var base64URL = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// notBase64 are the bits that only a byte outside the alphabet sets in
// base64URL: valid values are at most 63.
const notBase64 = 0xc0

func (t *rawToken) encode() string {
	return base64.RawURLEncoding.EncodeToString(t[:])
}

func (t *rawToken) expiry() int64 {
	return int64(binary.BigEndian.Uint64(t[expiryOffset:payloadLen]))
}

// keyring signs tokens with its first key and verifies them with any, so
// that a secret can be rotated without refusing the tokens already issued.
type keyring []*key

// key computes the HMAC of one secret. An HMAC's state cannot be shared
// between goroutines, and building one per request would allocate, so each
// key keeps a pool of them.
type key struct {
	pool sync.Pool // of *macState
}

// macState holds its input and output buffers beside the hash, so that the
// hash's interface methods never see a slice of the caller's stack.
type macState struct {
	h       hash.Hash
	payload [payloadLen]byte
	sum     [sha256.Size]byte
}

func newKey(secret []byte) *key {
	secret = append([]byte(nil), secret...)
	k := &key{}
	k.pool.New = func() any { return &macState{h: hmac.New(sha256.New, secret)} }
	return k
}

// mac writes the HMAC of t's payload into out.
func (k *key) mac(t *rawToken, out *[sha256.Size]byte) {
	st := k.pool.Get().(*macState)
	st.h.Reset()
	copy(st.payload[:], t[:payloadLen])
	st.h.Write(st.payload[:])
	st.h.Sum(st.sum[:0])
	*out = st.sum
	k.pool.Put(st)
}

// issue returns a new token for a fresh random session, valid until
// now+ttl.
func (ks keyring) issue(now time.Time, ttl time.Duration) string {
	var t rawToken
	t[0] = tokenVersion
	rand.Read(t[1:expiryOffset])
	binary.BigEndian.PutUint64(t[expiryOffset:payloadLen], uint64(now.Add(ttl).Unix()))
	var sum [sha256.Size]byte
	ks[0].mac(&t, &sum)
	copy(t[payloadLen:], sum[:])
	return t.encode()
}

// verify reports whether t is signed by one of the keys and, if so, whether
// it has expired at now. The signature is checked first, so that nothing
// about a forged token's expiry is revealed.
func (ks keyring) verify(t *rawToken, now time.Time) Reason {
	var sum [sha256.Size]byte
	for _, k := range ks {
		k.mac(t, &sum)
		if hmac.Equal(sum[:], t[payloadLen:]) {
			if now.Unix() >= t.expiry() {
				return ReasonTokenExpired
			}
			return 0
		}
	}
	return ReasonTokenInvalid
}

// equalStrings reports whether a and b are equal in a time that depends on
// their lengths only, as subtle.ConstantTimeCompare does for byte slices,
// whose conversion from strings would allocate.
func equalStrings(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v uint64
	i := 0
	for ; i+32 <= len(a); i += 32 {
		a, b := a[i:i+32], b[i:i+32]
		v |= word(a) ^ word(b) | word(a[8:]) ^ word(b[8:]) | word(a[16:]) ^ word(b[16:]) | word(a[24:]) ^ word(b[24:])
	}
	for ; i+8 <= len(a); i += 8 {
		v |= word(a[i:]) ^ word(b[i:])
	}
	for ; i < len(a); i++ {
		v |= uint64(a[i] ^ b[i])
	}
	return v == 0
}

// word reads 8 bytes of s as one number; the compiler makes it one load.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// cookieValue returns the value of the first cookie called name in the
// request's Cookie headers, without the allocations of http.Request.Cookie.
func cookieValue(h http.Header, name string) (string, bool) {
	for _, line := range h["Cookie"] {
		// Walk the cookies of the line, "name=value" separated by ";" and
		// optional spaces, comparing only where a cookie starts.
		for rest := line; rest != ""; {
			for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
				rest = rest[1:]
			}
			if len(rest) > len(name) && rest[len(name)] == '=' && rest[:len(name)] == name {
				return cookieValueAt(rest[len(name)+1:]), true
			}
			i := strings.IndexByte(rest, ';')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
		}
	}
	return "", false
}

// cookieValueAt returns the value at the start of v, up to the next ";",
// without surrounding spaces or quotes.
func cookieValueAt(v string) string {
	if len(v) >= encodedToken && (len(v) == encodedToken || v[encodedToken] == ';') &&
		strings.IndexByte(v[:encodedToken], ';') < 0 {
		// A token is exactly encodedToken bytes: the value ends where a
		// token would.
		return v[:encodedToken]
	}
	if j := strings.IndexByte(v, ';'); j >= 0 {
		v = v[:j]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// verifiedShards spreads the remembered tokens over maps that are
// replaced, never changed, so that a lookup takes no lock.
const verifiedShards = 64

// maxVerifiedPerShard bounds the tokens a shard remembers; past it the shard
// starts again empty, and its tokens are verified afresh.
const maxVerifiedPerShard = 128

// verifiedTokens remembers tokens whose signature has been checked, with
// their expiry, so that a session's later requests cost a map lookup rather
// than an HMAC. Only a token that passed the HMAC check is added, so a
// forged one can never be found here. A lookup compares the token whole
// only after its last 8 bytes, 64 bits of signature, have matched a
// remembered one, so its timing tells nothing to someone who does not
// already hold that token. Each shard is an immutable map behind an atomic pointer: readers take no lock,
// and a writer (once per new token) copies its shard, at most
// maxVerifiedPerShard entries.
type verifiedTokens struct {
	mu     sync.Mutex // serialises writers
	shards [verifiedShards]atomic.Pointer[map[uint64]verifiedToken]
}

// verifiedToken is a remembered token and its expiry. The map key is taken
// from the token's last bytes (the signature's), which is cheaper to look up
// than the whole token; the token is then compared whole.
type verifiedToken struct {
	token  string
	expiry int64
}

// tokenKey returns the lookup key of a token of at least 8 bytes.
func tokenKey(token string) uint64 { return word(token[len(token)-8:]) }

func (v *verifiedTokens) get(token string) (expiry int64, ok bool) {
	if len(token) < 8 {
		return 0, false
	}
	k := tokenKey(token)
	m := v.shards[k%verifiedShards].Load()
	if m == nil {
		return 0, false
	}
	e, ok := (*m)[k]
	if !ok || e.token != token {
		return 0, false
	}
	return e.expiry, true
}

func (v *verifiedTokens) add(token string, expiry int64) {
	if len(token) < 8 {
		return
	}
	k := tokenKey(token)
	shard := &v.shards[k%verifiedShards]
	v.mu.Lock()
	defer v.mu.Unlock()
	var next map[uint64]verifiedToken
	if old := shard.Load(); old != nil && len(*old) < maxVerifiedPerShard {
		next = make(map[uint64]verifiedToken, len(*old)+1)
		for key, e := range *old {
			next[key] = e
		}
	} else {
		next = make(map[uint64]verifiedToken, 1)
	}
	next[k] = verifiedToken{token: strings.Clone(token), expiry: expiry}
	shard.Store(&next)
}
