// Command floor answers every HTTP/1.1 request on a keep-alive connection
// with the same fixed preflight answer, reading only as far as the blank
// line that ends each head: no parsing, no routing, no CORS decision, no
// log. gateway.sh measures it next to the gateways as the floor of what a
// Go server costs on the machine, so that the gap between Crossgate and
// nginx can be split into what Go's runtime and network stack cost and
// what Crossgate does on top of them.
//
// By default it serves each connection on a goroutine of its own, as Go
// servers do. With -epoll it serves them the way nginx does instead: one
// event loop per core (GOMAXPROCS), each on a locked OS thread waiting in
// epoll_wait of its own, reading a connection once per readiness and
// writing its answers at once, with no goroutine per connection and no read
// that finds the socket empty.
package main

import (
	"bufio"
	"flag"
	"log"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
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
	epoll := flag.Bool("epoll", false, "serve from event loops on epoll instead of a goroutine per connection")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	var loops []*eventLoop
	if *epoll {
		for range runtime.GOMAXPROCS(0) {
			l, err := newEventLoop()
			if err != nil {
				log.Fatal(err)
			}
			go l.run()
			loops = append(loops, l)
		}
	}
	for i := 0; ; i++ {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		if loops == nil {
			go serve(c)
			continue
		}
		if err := loops[i%len(loops)].add(c.(*net.TCPConn)); err != nil {
			log.Print(err)
		}
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

// An eventLoop serves the connections added to it from one epoll instance,
// level-triggered.
type eventLoop struct {
	ep    int
	mu    sync.Mutex
	files map[int]*os.File // each connection's descriptor, owned here
	// How much of "\r\n\r\n" each connection's input ends with; only
	// the loop's goroutine uses it.
	ends map[int]int
}

func newEventLoop() (*eventLoop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &eventLoop{ep: ep, files: map[int]*os.File{}, ends: map[int]int{}}, nil
}

// add takes the connection's descriptor out of Go's network poller (File
// duplicates it, Close releases the original) and into the loop's epoll.
func (l *eventLoop) add(c *net.TCPConn) error {
	f, err := c.File()
	c.Close()
	if err != nil {
		return err
	}
	fd := int(f.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		f.Close()
		return err
	}
	l.mu.Lock()
	l.files[fd] = f
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.drop(fd)
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (l *eventLoop) drop(fd int) {
	syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, fd, nil)
	l.mu.Lock()
	f := l.files[fd]
	delete(l.files, fd)
	l.mu.Unlock()
	f.Close()
}

func (l *eventLoop) run() {
	runtime.LockOSThread()
	events := make([]syscall.EpollEvent, 256)
	in := make([]byte, 16<<10)
	var out []byte
	for {
		n, err := syscall.EpollWait(l.ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			log.Fatal(os.NewSyscallError("epoll_wait", err))
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			m, err := syscall.Read(fd, in)
			if err == syscall.EAGAIN {
				continue
			}
			if m <= 0 {
				delete(l.ends, fd)
				l.drop(fd)
				continue
			}
			// Count the heads that end in what was read, carrying a
			// partial "\r\n\r\n" over to the next read.
			k := l.ends[fd]
			out = out[:0]
			for _, b := range in[:m] {
				switch {
				case b == "\r\n\r\n"[k]:
					k++
				case b == '\r':
					k = 1
				default:
					k = 0
				}
				if k == 4 {
					out = append(out, answer...)
					k = 0
				}
			}
			l.ends[fd] = k
			if len(out) > 0 {
				if w, err := syscall.Write(fd, out); err != nil || w < len(out) {
					// A client that doesn't read its answers is not
					// what this floor measures.
					delete(l.ends, fd)
					l.drop(fd)
				}
			}
		}
	}
}
