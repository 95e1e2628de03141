package origin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/origin"
)

func TestParse(t *testing.T) {
	long := "https://" + strings.Repeat("a.", 126) + "com" // 8 + 255 bytes: host too long
	tests := []struct {
		name string
		in   string
		want origin.Origin
		ok   bool
	}{
		{"https", "https://a.com", origin.Origin{Scheme: "https", Host: "a.com", Port: -1}, true},
		{"http with port", "http://localhost:8080", origin.Origin{Scheme: "http", Host: "localhost", Port: 8080}, true},
		{"ipv6 with port", "https://[::1]:8443", origin.Origin{Scheme: "https", Host: "[::1]", Port: 8443}, true},
		{"ipv6", "http://[::1]", origin.Origin{Scheme: "http", Host: "[::1]", Port: -1}, true},
		{"ipv4", "http://127.0.0.1", origin.Origin{Scheme: "http", Host: "127.0.0.1", Port: -1}, true},
		{"ipv4 extremes", "http://0.0.0.255", origin.Origin{Scheme: "http", Host: "0.0.0.255", Port: -1}, true},
		{"custom scheme", "custom+x://host", origin.Origin{Scheme: "custom+x", Host: "host", Port: -1}, true},
		{"custom scheme port 443", "custom://host:443", origin.Origin{Scheme: "custom", Host: "host", Port: 443}, true},
		{"http port 443", "http://a.com:443", origin.Origin{Scheme: "http", Host: "a.com", Port: 443}, true},
		{"https port 80", "https://a.com:80", origin.Origin{Scheme: "https", Host: "a.com", Port: 80}, true},
		{"port 1", "http://a.com:1", origin.Origin{Scheme: "http", Host: "a.com", Port: 1}, true},
		{"port 65535", "http://a.com:65535", origin.Origin{Scheme: "http", Host: "a.com", Port: 65535}, true},
		{"hyphen and underscore", "https://my-app_1.example.com", origin.Origin{Scheme: "https", Host: "my-app_1.example.com", Port: -1}, true},
		{"punycode", "https://xn--bcher-kva.de", origin.Origin{Scheme: "https", Host: "xn--bcher-kva.de", Port: -1}, true},
		{"digit label not last", "https://1.example.com", origin.Origin{Scheme: "https", Host: "1.example.com", Port: -1}, true},
		{"63-byte label", "https://" + strings.Repeat("a", 63) + ".com", origin.Origin{Scheme: "https", Host: strings.Repeat("a", 63) + ".com", Port: -1}, true},

		{"empty", "", origin.Origin{}, false},
		{"null", "null", origin.Origin{}, false},
		{"no scheme", "a.com", origin.Origin{}, false},
		{"upper-case scheme", "HTTPS://a.com", origin.Origin{}, false},
		{"upper-case host", "https://A.com", origin.Origin{}, false},
		{"upper-case ipv6", "https://[::A]", origin.Origin{}, false},
		{"path", "https://a.com/x", origin.Origin{}, false},
		{"trailing slash", "https://a.com/", origin.Origin{}, false},
		{"userinfo", "https://u@a.com", origin.Origin{}, false},
		{"userinfo with password", "https://u:p@a.com", origin.Origin{}, false},
		{"query", "https://a.com?x", origin.Origin{}, false},
		{"fragment", "https://a.com#x", origin.Origin{}, false},
		{"default https port", "https://a.com:443", origin.Origin{}, false},
		{"default http port", "http://a.com:80", origin.Origin{}, false},
		{"default ws port", "ws://a.com:80", origin.Origin{}, false},
		{"default wss port", "wss://a.com:443", origin.Origin{}, false},
		{"default ftp port", "ftp://a.com:21", origin.Origin{}, false},
		{"port 0", "http://a.com:0", origin.Origin{}, false},
		{"leading-zero port", "http://a.com:08080", origin.Origin{}, false},
		{"port 65536", "http://a.com:65536", origin.Origin{}, false},
		{"six-digit port", "http://a.com:100000", origin.Origin{}, false},
		{"empty port", "http://a.com:", origin.Origin{}, false},
		{"port not a number", "http://a.com:x", origin.Origin{}, false},
		{"wildcard port", "http://a.com:*", origin.Origin{}, false},
		{"empty host", "https://", origin.Origin{}, false},
		{"empty host with port", "https://:8080", origin.Origin{}, false},
		{"double dot", "https://a..com", origin.Origin{}, false},
		{"leading dot", "https://.a.com", origin.Origin{}, false},
		{"trailing dot", "https://a.com.", origin.Origin{}, false},
		{"wildcard host", "https://*.a.com", origin.Origin{}, false},
		{"ipv4 short form", "http://127.1", origin.Origin{}, false},
		{"ipv4 leading zero", "http://01.2.3.4", origin.Origin{}, false},
		{"ipv4 octet over 255", "http://1.2.3.256", origin.Origin{}, false},
		{"ipv4 five parts", "http://1.2.3.4.5", origin.Origin{}, false},
		{"ipv4 as one number", "http://2130706433", origin.Origin{}, false},
		{"numeric last label", "http://a.1", origin.Origin{}, false},
		{"ipv6 without brackets", "http://::1", origin.Origin{}, false},
		{"ipv6 unclosed", "http://[::1", origin.Origin{}, false},
		{"ipv6 zone", "http://[fe80::1%25eth0]", origin.Origin{}, false},
		{"ipv6 one colon", "http://[a:b]", origin.Origin{}, false},
		{"64-byte label", "https://" + strings.Repeat("a", 64) + ".com", origin.Origin{}, false},
		{"host over 253 bytes", long, origin.Origin{}, false},
		{"over MaxLength", "custom://" + strings.Repeat("a.", origin.MaxLength/2) + "a", origin.Origin{}, false},
		{"space", "https://a .com", origin.Origin{}, false},
		{"leading space", " https://a.com", origin.Origin{}, false},
		{"non-ASCII host", "https://bücher.de", origin.Origin{}, false},
		{"scheme starts with digit", "1http://a.com", origin.Origin{}, false},
		{"one slash", "https:/a.com", origin.Origin{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := origin.Parse(tt.in)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseMaxLength(t *testing.T) {
	// Four labels of 60 bytes and one of 9: a valid host of 253 bytes,
	// padded by the scheme to exactly MaxLength and then one byte beyond.
	host := strings.Repeat(strings.Repeat("a", 60)+".", 4) + "abcdefghi"
	scheme := "x" + strings.Repeat("y", origin.MaxLength-len("://")-len(host)-1)
	at := scheme + "://" + host
	if len(at) != origin.MaxLength {
		t.Fatalf("test value is %d bytes, want %d", len(at), origin.MaxLength)
	}
	if _, ok := origin.Parse(at); !ok {
		t.Errorf("Parse refused a canonical origin of exactly MaxLength bytes")
	}
	over := scheme + "y://" + host
	if _, ok := origin.Parse(over); ok {
		t.Errorf("Parse accepted an origin of MaxLength+1 bytes")
	}
}

func TestParseAllocs(t *testing.T) {
	inputs := []string{
		"https://a.com",
		"https://[::1]:8443",
		"http://127.0.0.1",
		"https://A.com",
		"http://127.1",
		strings.Repeat("x", 10_000),
	}
	var sink bool
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(100, func() { _, sink = origin.Parse(in) })
		if allocs != 0 {
			t.Errorf("Parse(%.20q) allocates %v times per call, want 0", in, allocs)
		}
	}
	_ = sink
}

// serialize writes o back in the form Parse reads.
func serialize(o origin.Origin) string {
	s := o.Scheme + "://" + o.Host
	if o.Port >= 0 {
		s += ":" + strconv.Itoa(o.Port)
	}
	return s
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"https://a.com", "http://localhost:8080", "https://[::1]:8443", "http://127.0.0.1",
		"custom+x://host", "null", "", "https://A.com", "https://a.com/", "https://a.com:443",
		"http://a.com:0", "http://a.com:08080", "http://a.com:65536", "https://a..com",
		"https://a.com.", "http://127.1", "http://01.2.3.4", "https://u@a.com", "http://[::1",
		"http://a.1", "https://*.a.com", "http://a.com:", "https://:80",
		"a://0x", "http://a.0x1f", "http://0x7f000001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := origin.Parse(s)
		_, refOK := refParse(s)
		if ok != refOK {
			t.Fatalf("Parse(%q) ok = %v, reference says %v", s, ok, refOK)
		}
		if !ok {
			if o != (origin.Origin{}) {
				t.Fatalf("Parse(%q) refused but returned %+v", s, o)
			}
			return
		}
		if len(s) > origin.MaxLength {
			t.Fatalf("Parse accepted %d bytes, more than MaxLength", len(s))
		}
		if got := serialize(o); got != s {
			t.Fatalf("Parse(%q) = %+v, which serializes to %q", s, o, got)
		}
	})
}
