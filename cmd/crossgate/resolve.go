package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// resolveFlags collects --resolve HOST:PORT:ADDR values, as curl takes them.
type resolveFlags map[string]string

func (r resolveFlags) String() string { return "" }

func (r resolveFlags) Set(v string) error {
	// HOST:PORT:ADDR, where ADDR may be a bracketed IPv6 address.
	i := strings.IndexByte(v, ':')
	if i <= 0 {
		return fmt.Errorf("want HOST:PORT:ADDR, got %q", v)
	}
	j := strings.IndexByte(v[i+1:], ':')
	if j <= 0 {
		return fmt.Errorf("want HOST:PORT:ADDR, got %q", v)
	}
	host, port, addr := v[:i], v[i+1:i+1+j], v[i+2+j:]
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid port in %q", v)
	}
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if net.ParseIP(addr) == nil {
		return fmt.Errorf("invalid address %q in %q: want an IP address", addr, v)
	}
	r[net.JoinHostPort(strings.ToLower(host), port)] = net.JoinHostPort(addr, port)
	return nil
}

// transport connects to the --resolve addresses.
func transport(resolve resolveFlags) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if to, ok := resolve[strings.ToLower(addr)]; ok {
			addr = to
		}
		return dialer.DialContext(ctx, network, addr)
	}
	return t
}

// httpClient returns a client that connects to the --resolve addresses,
// does not follow redirects (the tools judge each response themselves) and
// gives up after timeout.
func httpClient(resolve resolveFlags, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport:     transport(resolve),
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
