package plugin

import (
	"context"
	"errors"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/hookferry/hookferry/sdk/internal/proto/hookferry/v1"
)

// renderStream carries one process's Render calls on one RenderStream:
// a unary call sets up and tears down an HTTP/2 stream (headers both
// ways, trailers, a stream goroutine in the plugin) for every render, a
// large part of a small call's cost. Calls are matched to answers by
// call_id, so concurrent renders share it.
type renderStream struct {
	st     pb.Plugin_RenderStreamClient
	cancel context.CancelFunc
	send   sync.Mutex // one Send at a time

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan *pb.RenderResponse
	err     error // set once the stream ended; every later call fails
}

// renderStream returns conn's open stream, opening one when there is none
// or the last one ended.
func (conn *connection) renderStream() (*renderStream, error) {
	conn.streamMu.Lock()
	defer conn.streamMu.Unlock()
	if rs := conn.stream; rs != nil && rs.alive() {
		return rs, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := conn.rpc.RenderStream(ctx, callOptions...)
	if err != nil {
		cancel()
		return nil, err
	}
	rs := &renderStream{st: st, cancel: cancel, pending: map[uint64]chan *pb.RenderResponse{}}
	conn.stream = rs
	go rs.receive()
	return rs, nil
}

func (rs *renderStream) alive() bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.err == nil
}

// receive hands each answer to its call; when the stream ends, every call
// still waiting fails with the stream's error.
func (rs *renderStream) receive() {
	for {
		r, err := rs.st.Recv()
		if err != nil {
			rs.fail(err)
			return
		}
		rs.mu.Lock()
		ch, ok := rs.pending[r.CallId]
		delete(rs.pending, r.CallId)
		rs.mu.Unlock()
		if ok {
			ch <- r
		}
	}
}

func (rs *renderStream) fail(err error) {
	if errors.Is(err, context.Canceled) || status.Code(err) == codes.OK {
		err = status.Error(codes.Unavailable, "plugin render stream closed")
	}
	rs.mu.Lock()
	if rs.err == nil {
		rs.err = err
	}
	pending := rs.pending
	rs.pending = map[uint64]chan *pb.RenderResponse{}
	rs.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	rs.cancel()
}

// call sends req and waits for its answer or for ctx. The error is a gRPC
// status, as a unary call's would be.
func (rs *renderStream) call(ctx context.Context, req *pb.RenderRequest) (*pb.RenderResponse, error) {
	if d, ok := ctx.Deadline(); ok {
		req.DeadlineUnixNano = d.UnixNano()
	}
	ch := make(chan *pb.RenderResponse, 1)
	rs.mu.Lock()
	if rs.err != nil {
		err := rs.err
		rs.mu.Unlock()
		return nil, err
	}
	rs.next++
	req.CallId = rs.next
	rs.pending[req.CallId] = ch
	rs.mu.Unlock()

	rs.send.Lock()
	err := rs.st.Send(req)
	rs.send.Unlock()
	if err != nil {
		// The stream is broken; Recv reports why and fails the calls.
		rs.forget(req.CallId)
		return nil, err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			rs.mu.Lock()
			err := rs.err
			rs.mu.Unlock()
			return nil, err
		}
		return r, nil
	case <-ctx.Done():
		rs.forget(req.CallId)
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (rs *renderStream) forget(id uint64) {
	rs.mu.Lock()
	delete(rs.pending, id)
	rs.mu.Unlock()
}
