package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/crossgate/crossgate/config/etcdstore"
)

// Environment variables of etcd's credentials: a password on the command
// line would show in the process list.
const (
	envEtcdUser     = "CROSSGATE_ETCD_USER"
	envEtcdPassword = "CROSSGATE_ETCD_PASSWORD"
)

// etcdFlags are the flags of the commands that reach etcd.
type etcdFlags struct {
	endpoints, prefix         *string
	caFile, certFile, keyFile *string
}

func addEtcdFlags(fs *flag.FlagSet) *etcdFlags {
	return &etcdFlags{
		endpoints: fs.String("etcd", "", "etcd client `URLs`, comma-separated (cluster mode); credentials from $"+envEtcdUser+" and $"+envEtcdPassword),
		prefix:    fs.String("etcd-prefix", etcdstore.DefaultPrefix, "`PREFIX` of Crossgate's keys in etcd"),
		caFile:    fs.String("etcd-cacert", "", "CA certificate `FILE` that etcd's server certificates are checked with (https endpoints)"),
		certFile:  fs.String("etcd-cert", "", "client certificate `FILE`, for etcd's client certificate authentication"),
		keyFile:   fs.String("etcd-key", "", "the client certificate's key `FILE`"),
	}
}

// set reports whether --etcd was given.
func (f *etcdFlags) set() bool { return *f.endpoints != "" }

// options returns the store options of the flags and the environment.
func (f *etcdFlags) options() (etcdstore.Options, error) {
	o := etcdstore.Options{
		Prefix:   *f.prefix,
		Username: os.Getenv(envEtcdUser),
		Password: os.Getenv(envEtcdPassword),
	}
	for _, e := range strings.Split(*f.endpoints, ",") {
		if e = strings.TrimSpace(e); e != "" {
			o.Endpoints = append(o.Endpoints, e)
		}
	}
	if (o.Username == "") != (o.Password == "") {
		return o, fmt.Errorf("set both $%s and $%s, or neither", envEtcdUser, envEtcdPassword)
	}
	if *f.caFile == "" && *f.certFile == "" && *f.keyFile == "" {
		return o, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if *f.caFile != "" {
		pem, err := os.ReadFile(*f.caFile)
		if err != nil {
			return o, fmt.Errorf("--etcd-cacert: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return o, fmt.Errorf("--etcd-cacert: %s holds no PEM certificate", *f.caFile)
		}
	}
	if (*f.certFile == "") != (*f.keyFile == "") {
		return o, errors.New("give both --etcd-cert and --etcd-key, or neither")
	}
	if *f.certFile != "" {
		cert, err := tls.LoadX509KeyPair(*f.certFile, *f.keyFile)
		if err != nil {
			return o, fmt.Errorf("--etcd-cert: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	o.TLS = t
	return o, nil
}
