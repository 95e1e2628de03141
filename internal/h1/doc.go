// Package h1 is the gateway's HTTP/1.1 wire protocol: a server for plain
// HTTP/1.1 connections (Server, with the head scanner of head.go and the
// client-gone watch of watch.go) and a client for http:// upstreams
// (Client). It is one unit so that the protocol can be read, fuzzed and
// audited apart from the gateway that uses it.
//
// What it promises:
//
//   - Server serves the requests it takes exactly as net/http's server
//     would serve them to the same handler (FuzzServer holds the two to
//     that), and hands every connection whose next request it does not
//     take (chunked bodies, Expect, upgrades, HTTP/1.0, large or unusual
//     heads) to the http.Server it was given, with the bytes already read:
//     net/http reads that request and serves that connection from then on.
//     The timeouts of the http.Server (ReadHeaderTimeout, IdleTimeout) bound
//     the connections of both.
//   - Client sends each request on the caller's goroutine over a pool of
//     keep-alive connections, and never delivers bytes that reached a
//     connection before a request was written to it as that request's
//     answer: a connection goes back to the pool only after a response
//     framed exactly with nothing read beyond it, and is checked when taken
//     from it, every time: one on which anything arrived (a byte or the
//     end of the stream) is closed, as net/http's Transport closes an idle
//     connection on which anything arrives. A target that shows it sends
//     bytes beyond its framing (any of the above but a plain close, a
//     body announced on a 204 or 304, a malformed head) is quarantined
//     for QuarantinePeriod: its connections serve one exchange each, so
//     that a stray it writes later cannot meet a reused connection.
//   - ErrNotSent marks the failures of requests that no upstream saw, which
//     may go to another target whatever their method.
//
// What it leaves to net/http: TLS and HTTP/2, every connection handed off,
// protocol upgrades (WebSocket), and https:// upstreams.
package h1
