package gateway

import (
	"bytes"

	"github.com/crossgate/crossgate/internal/fetch"
)

// headScan is what scanHead makes of the bytes read so far.
type headScan int

const (
	headMore  headScan = iota // no verdict yet: the head is incomplete
	headPlain                 // a request HTTP1Server serves
	headOther                 // anything else: net/http's to read
)

const http11 = "HTTP/1.1\r\n"

// scanHead looks at the start of a request head and says whether it is
// one HTTP1Server serves: a request line "TOKEN /target HTTP/1.1", header
// lines "token:value" with no control characters but tab, every line ended
// by CRLF, at most one Content-Length of plain digits, and no
// Transfer-Encoding, Upgrade, Expect or Connection: upgrade. For a plain
// head it returns the head's length (through the empty line) and the body
// length. It gives its verdict as soon as the bytes allow, and reads each
// byte once.
func scanHead(b []byte) (v headScan, n int, bodyLen int64) {
	i := 0
	for i < len(b) && fetch.IsTchar(b[i]) {
		i++
	}
	if i == len(b) {
		return headMore, 0, 0
	}
	if i == 0 || b[i] != ' ' {
		return headOther, 0, 0
	}
	i++
	if i == len(b) {
		return headMore, 0, 0
	}
	if b[i] != '/' {
		return headOther, 0, 0
	}
	for i < len(b) && b[i] > ' ' && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return headMore, 0, 0
	}
	if b[i] != ' ' {
		return headOther, 0, 0
	}
	i++
	if rest := b[i:]; len(rest) < len(http11) {
		if bytes.HasPrefix([]byte(http11), rest) {
			return headMore, 0, 0
		}
		return headOther, 0, 0
	} else if string(rest[:len(http11)]) != http11 {
		return headOther, 0, 0
	}
	i += len(http11)
	sawLength := false
	for {
		if i == len(b) {
			return headMore, 0, 0
		}
		if b[i] == '\r' {
			if i+1 == len(b) {
				return headMore, 0, 0
			}
			if b[i+1] != '\n' {
				return headOther, 0, 0
			}
			return headPlain, i + 2, bodyLen
		}
		start := i
		for i < len(b) && fetch.IsTchar(b[i]) {
			i++
		}
		if i == len(b) {
			return headMore, 0, 0
		}
		if i == start || b[i] != ':' {
			return headOther, 0, 0
		}
		name := b[start:i]
		i++
		vstart := i
		for i < len(b) && (b[i] >= ' ' && b[i] != 0x7f || b[i] == '\t') {
			i++
		}
		if i+1 >= len(b) {
			return headMore, 0, 0
		}
		if b[i] != '\r' || b[i+1] != '\n' {
			return headOther, 0, 0
		}
		value := bytes.Trim(b[vstart:i], " \t")
		i += 2
		switch {
		case asciiEqualFold(name, "content-length"):
			if sawLength || len(value) == 0 || len(value) > 18 {
				return headOther, 0, 0
			}
			sawLength = true
			for _, c := range value {
				if c < '0' || c > '9' {
					return headOther, 0, 0
				}
				bodyLen = bodyLen*10 + int64(c-'0')
			}
		case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "upgrade"), asciiEqualFold(name, "expect"):
			return headOther, 0, 0
		case asciiEqualFold(name, "connection"):
			if containsFold(value, "upgrade") {
				return headOther, 0, 0
			}
		}
	}
}

// asciiEqualFold reports whether b is s (lower case) in any case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether b contains s (lower case) in any case.
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if asciiEqualFold(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}
