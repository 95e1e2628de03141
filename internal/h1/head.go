package h1

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/crossgate/crossgate/internal/fetch"
)

// headScan is what a headScanner makes of the bytes read so far.
type headScan int

const (
	headMore  headScan = iota // no verdict yet: the head is incomplete
	headPlain                 // a request Server serves
	headOther                 // anything else: net/http's to read
)

// headScanner says whether a request head is one Server serves: a
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

// buildRequest makes the request of a head the scanner called plain, as
// http.ReadRequest would read it: the method and target of the request
// line, the target parsed by url.ParseRequestURI, the header fields with
// canonical names and trimmed values in their order, Host taken out of
// them, Close from Connection, and Cache-Control: no-cache added for a
// lone Pragma: no-cache. An error (a target that does not parse, no Host
// or two) leaves the head to net/http.
//
// The scanner has checked every byte; this only cuts the head up. It
// allocates the request, its URL and header map, one string for the
// target, one string and one slice for all the values, and the names
// beyond the common ones: about half of what http.ReadRequest allocates
// for a browser's preflight, in two thirds of the time
// (BenchmarkParseHead). The request starts as a copy of base, when not nil,
// which is how it gets a context without a second allocation.
func buildRequest(head []byte, bodyLen int64, base *http.Request) (*http.Request, error) {
	end := bytes.IndexByte(head, '\n')
	line := head[:end-1]
	sp := bytes.IndexByte(line, ' ')
	method := internMethod(line[:sp])
	target := string(line[sp+1 : len(line)-len(http11)])
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, err
	}
	// One pass cuts the header lines; all the values then share one
	// string and one slice.
	type field struct {
		name     []byte
		from, to int // the value in the string of all values
	}
	var buf [32]field
	fields := buf[:0]
	var values strings.Builder
	values.Grow(len(head))
	for rest := head[end+1 : len(head)-2]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		l := rest[:i-1]
		rest = rest[i+1:]
		colon := bytes.IndexByte(l, ':')
		v := bytes.Trim(l[colon+1:], " \t")
		fields = append(fields, field{l[:colon], values.Len(), values.Len() + len(v)})
		values.Write(v)
	}
	all := values.String()
	strs := make([]string, len(fields))
	h := make(http.Header, len(fields))
	for i, f := range fields {
		key := canonicalKey(f.name)
		strs[i] = all[f.from:f.to]
		if vv := h[key]; vv != nil {
			h[key] = append(vv, strs[i])
		} else {
			h[key] = strs[i : i+1 : i+1]
		}
	}
	hosts := h["Host"]
	if len(hosts) != 1 || hosts[0] == "" {
		return nil, errors.New("a request needs one Host")
	}
	delete(h, "Host")
	if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" {
		if _, ok := h["Cache-Control"]; !ok {
			h["Cache-Control"] = []string{"no-cache"}
		}
	}
	req := new(http.Request)
	if base != nil {
		*req = *base
	}
	req.Method = method
	req.URL = u
	req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.1", 1, 1
	req.Header = h
	req.ContentLength = bodyLen
	req.Close = HeaderHasToken(h["Connection"], "close")
	req.Host = hosts[0]
	req.RequestURI = target
	return req, nil
}

// internMethod returns the common methods without allocating.
func internMethod(b []byte) string {
	for _, m := range [...]string{http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodPut,
		http.MethodDelete, http.MethodHead, http.MethodPatch} {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

// commonKeys holds the canonical names of the header fields most requests
// carry, so that naming them allocates nothing.
var commonKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Access-Control-Request-Headers",
		"Access-Control-Request-Method", "Access-Control-Request-Private-Network", "Authorization",
		"Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie", "Host",
		"If-Modified-Since", "If-None-Match", "Origin", "Pragma", "Priority", "Referer",
		"Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
		"Sec-Fetch-Site", "Sec-Fetch-User", "Te", "Upgrade-Insecure-Requests", "User-Agent",
		"X-Csrf-Token", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Request-Id",
		"X-Requested-With",
	} {
		m[k] = k
	}
	return m
}()

// canonicalKey is textproto.CanonicalMIMEHeaderKey of a token: upper case
// at the start and after each hyphen, lower case elsewhere.
func canonicalKey(b []byte) string {
	var buf [64]byte
	k := buf[:0]
	if len(b) > len(buf) {
		k = make([]byte, 0, len(b))
	}
	upper := true
	for _, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		k = append(k, c)
		upper = c == '-'
	}
	if s, ok := commonKeys[string(k)]; ok {
		return s
	}
	return string(k)
}

// HeaderHasToken reports whether one of the comma-separated lists in lines
// holds token, compared without regard to case (Connection: keep-alive,
// Upgrade; TE: trailers).
func HeaderHasToken(lines []string, token string) bool {
	for _, v := range lines {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
