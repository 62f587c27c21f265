package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Defaults of the server block.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultMaxBodySize     = 5 << 20
	DefaultMaxHeaderSize   = 16 << 10
	DefaultReadTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultIdleTimeout     = 60 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultMaxConcurrency  = 1024
)

// Server is the ingress listener's settings.
type Server struct {
	Listen          string
	MaxBodySize     int
	MaxHeaderSize   int
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	MaxConcurrency  int
}

type rawServer struct {
	Listen          hcl.Expression `hcl:"listen,optional"`
	MaxBodySize     hcl.Expression `hcl:"max_body_size,optional"`
	MaxHeaderSize   hcl.Expression `hcl:"max_header_size,optional"`
	ReadTimeout     hcl.Expression `hcl:"read_timeout,optional"`
	WriteTimeout    hcl.Expression `hcl:"write_timeout,optional"`
	IdleTimeout     hcl.Expression `hcl:"idle_timeout,optional"`
	ShutdownTimeout hcl.Expression `hcl:"shutdown_timeout,optional"`
	MaxConcurrency  hcl.Expression `hcl:"max_concurrency,optional"`
}

// servers decodes the server block (at most one in the whole config).
func (l *loader) servers() hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.parsed.blocks(blockServer, func(pf *parsedFile, b *hcl.Block) {
		if d := single(&l.server, b); d != nil {
			diags = append(diags, d...)
			return
		}
		var s rawServer
		diags = append(diags, gohcl.DecodeBody(b.Body, nil, &s)...)
		srv := &l.cfg.Server
		ectx := pf.ectx
		evalString(s.Listen, ectx, &srv.Listen, &diags)
		evalSize(s.MaxBodySize, ectx, &srv.MaxBodySize, &diags)
		evalSize(s.MaxHeaderSize, ectx, &srv.MaxHeaderSize, &diags)
		evalDuration(s.ReadTimeout, ectx, &srv.ReadTimeout, &diags)
		evalDuration(s.WriteTimeout, ectx, &srv.WriteTimeout, &diags)
		evalDuration(s.IdleTimeout, ectx, &srv.IdleTimeout, &diags)
		evalDuration(s.ShutdownTimeout, ectx, &srv.ShutdownTimeout, &diags)
		evalInt(s.MaxConcurrency, ectx, &srv.MaxConcurrency, 1, &diags)
	})
	return diags
}

func (l *loader) serverDefaults() {
	srv := &l.cfg.Server
	setDefault(&srv.Listen, DefaultListen)
	setDefault(&srv.MaxBodySize, DefaultMaxBodySize)
	setDefault(&srv.MaxHeaderSize, DefaultMaxHeaderSize)
	setDefault(&srv.ReadTimeout, DefaultReadTimeout)
	setDefault(&srv.WriteTimeout, DefaultWriteTimeout)
	setDefault(&srv.IdleTimeout, DefaultIdleTimeout)
	setDefault(&srv.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&srv.MaxConcurrency, DefaultMaxConcurrency)
}
