package gateway

import (
	"bytes"

	"github.com/crossgate/crossgate/internal/fetch"
)

// headScan is what a headScanner makes of the bytes read so far.
type headScan int

const (
	headMore  headScan = iota // no verdict yet: the head is incomplete
	headPlain                 // a request HTTP1Server serves
	headOther                 // anything else: net/http's to read
)

// headScanner says whether a request head is one HTTP1Server serves: a
// request line "TOKEN /target HTTP/1.1", header lines "token:value" with
// no control characters but tab, every line ended by CRLF, at most one
// Content-Length of plain digits, and no Transfer-Encoding, Upgrade,
// Expect or Connection: upgrade.
//
// It checks the head line by line as its bytes arrive and remembers where
// it stopped, so that it looks at each byte a bounded number of times
// however the head is split across reads: a client trickling its head one
// byte at a time costs a system call per byte, not a rescan of the head.
type headScanner struct {
	pos       int // start of the first line not yet checked
	searched  int // bytes already searched for a line end
	lines     int // lines checked
	sawLength bool
	bodyLen   int64
}

// scan continues the scan over b, which starts with the bytes the earlier
// calls saw. For a plain head it returns the head's length (through the
// empty line) and the body's length.
func (s *headScanner) scan(b []byte) (v headScan, n int, bodyLen int64) {
	for {
		i := bytes.IndexByte(b[s.searched:], '\n')
		if i < 0 {
			s.searched = len(b)
			return headMore, 0, 0
		}
		end := s.searched + i
		line := b[s.pos:end]
		s.pos, s.searched = end+1, end+1
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return headOther, 0, 0 // a line ended by LF alone
		}
		line = line[:len(line)-1]
		switch {
		case s.lines == 0:
			if !plainRequestLine(line) {
				return headOther, 0, 0
			}
		case len(line) == 0:
			return headPlain, s.pos, s.bodyLen
		default:
			if !s.headerLine(line) {
				return headOther, 0, 0
			}
		}
		s.lines++
	}
}

const http11 = " HTTP/1.1"

// plainRequestLine reports whether line (without its CRLF) is
// "TOKEN /target HTTP/1.1" with a target of visible ASCII.
func plainRequestLine(line []byte) bool {
	i := 0
	for i < len(line) && fetch.IsTchar(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		return false
	}
	i++
	if i == len(line) || line[i] != '/' {
		return false
	}
	for i < len(line) && line[i] > ' ' && line[i] < 0x7f {
		i++
	}
	return string(line[i:]) == http11
}

// headerLine checks one header line (without its CRLF) and notes the
// body's length.
func (s *headScanner) headerLine(line []byte) bool {
	i := 0
	for i < len(line) && fetch.IsTchar(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return false
	}
	name := line[:i]
	for _, c := range line[i+1:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	value := bytes.Trim(line[i+1:], " \t")
	switch {
	case asciiEqualFold(name, "content-length"):
		if s.sawLength || len(value) == 0 || len(value) > 18 {
			return false
		}
		s.sawLength = true
		for _, c := range value {
			if c < '0' || c > '9' {
				return false
			}
			s.bodyLen = s.bodyLen*10 + int64(c-'0')
		}
	case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "upgrade"), asciiEqualFold(name, "expect"):
		return false
	case asciiEqualFold(name, "connection"):
		if containsFold(value, "upgrade") {
			return false
		}
	}
	return true
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
