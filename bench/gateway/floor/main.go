// Command floor answers every HTTP/1.1 request on a keep-alive connection
// with the same fixed preflight answer, reading only as far as the blank
// line that ends each head: no parsing, no routing, no CORS decision, no
// log. gateway.sh measures it next to the gateways as the floor of what a
// Go server costs on the machine, so that the gap between Crossgate and
// nginx can be split into what Go's runtime and network stack cost and
// what Crossgate does on top of them.
package main

import (
	"bufio"
	"flag"
	"log"
	"net"
)

const answer = "HTTP/1.1 204 No Content\r\n" +
	"Access-Control-Allow-Credentials: true\r\n" +
	"Access-Control-Allow-Headers: authorization,content-type\r\n" +
	"Access-Control-Allow-Methods: PUT\r\n" +
	"Access-Control-Allow-Origin: https://app.example.com\r\n" +
	"Access-Control-Max-Age: 7200\r\n" +
	"Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n" +
	"Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n"

func main() {
	listen := flag.String("listen", "127.0.0.1:18085", "loopback address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c)
	}
}

func serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	for {
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
		}
		bw.WriteString(answer)
		if err := bw.Flush(); err != nil {
			return
		}
	}
}
