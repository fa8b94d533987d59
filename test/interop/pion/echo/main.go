// A pion/webrtc (v3.1.56, Debian's sources) peer for wasmrtc's interop tests,
// driven over stdin/stdout with one JSON object per line.
//
// Requests (stdin):  {"id":N,"op":OP,"peer":P,...}
// Replies (stdout):  {"id":N,"ok":true,"result":...} or {"id":N,"ok":false,"error":"..."}
// Events (stdout):   {"t":"candidate"|"channel"|"open"|"close"|"message"|"state"|"error","peer":P,...}
//
// Ops: create, createChannel {spec}, createOffer, acceptOffer {sdp}, acceptAnswer
// {sdp}, addCandidate {mid,index,line}, send {key,text|b64}, setEcho {key,on},
// closeChannel {key}, info {key}, bufferedAmount {key}, maxMessageSize, state,
// close, and exit. Channels are named by a key this program gives them. With
// echo on (per channel, or for every channel of a peer created with
// "echo":true) every message is sent straight back on its channel, a string as
// a string and binary as binary; "report":false leaves the bytes out of
// "message" events (only the length), for benchmarks.
//
// Pion's own logs (PION_LOG_DEBUG=all, PION_LOG_TRACE=sctp, ...) go to stderr so
// that stdout carries only the protocol.
//
// Two of pion 3.1.56's message size limits are not what its SDP implies; this peer
// corrects both (PION_ECHO_STOCK_MMS=1 keeps pion as shipped): it sends up to the
// remote's a=max-message-size (raiseSendLimit) and declares the 65535 bytes it can
// receive (declareReceiveLimit).
//
// `pion-echo bench` instead runs a pion-to-pion benchmark in this process and
// prints one JSON line (see bench.go).
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/pion/ice/v2"
	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/webrtc/v3"
)

// ------------------------------------------------------------------ output

var (
	outMu sync.Mutex
	out   = bufio.NewWriterSize(os.Stdout, 1<<20)
)

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]interface{}{"t": "error", "message": "marshal: " + err.Error()})
	}
	outMu.Lock()
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
	outMu.Unlock()
}

// ------------------------------------------------------------------ pion setup

func newAPI() *webrtc.API {
	lf := logging.NewDefaultLoggerFactory() // reads PION_LOG_*
	lf.Writer = os.Stderr
	s := webrtc.SettingEngine{LoggerFactory: lf}
	// Loopback only (the tests run in a namespace that has nothing else), no mDNS.
	s.SetIncludeLoopbackCandidate(true)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// PION_ECHO_IP: gather only this address (default: every IPv4 address there is; in the test namespace, 127.0.0.1).
	if ip := os.Getenv("PION_ECHO_IP"); ip != "" {
		s.SetIPFilter(func(a net.IP) bool { return a.String() == ip })
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(s))
}

// ------------------------------------------------------------------ peers

type channel struct {
	key    int
	dc     *webrtc.DataChannel
	mu     sync.Mutex
	echo   bool
	opened bool
}

type peer struct {
	id      int
	api     *webrtc.API
	pc      *webrtc.PeerConnection
	t0      time.Time
	echoAll bool
	report  bool

	mu         sync.Mutex
	chans      map[int]*channel
	nextKey    int
	haveRemote bool
	early      []webrtc.ICECandidateInit
	mid        string
}

var (
	peersMu sync.Mutex
	peers   = map[int]*peer{}
)

func getPeer(id int) (*peer, error) {
	peersMu.Lock()
	defer peersMu.Unlock()
	p := peers[id]
	if p == nil {
		return nil, fmt.Errorf("no peer %d", id)
	}
	return p, nil
}

func optNum16(v *uint16) interface{} {
	if v == nil {
		return nil
	}
	return int(*v)
}

func (p *peer) info(dc *webrtc.DataChannel) map[string]interface{} {
	return map[string]interface{}{
		"label":             dc.Label(),
		"id":                optNum16(dc.ID()),
		"ordered":           dc.Ordered(),
		"maxRetransmits":    optNum16(dc.MaxRetransmits()),
		"maxPacketLifeTime": optNum16(dc.MaxPacketLifeTime()),
		"protocol":          dc.Protocol(),
		"negotiated":        dc.Negotiated(),
		"readyState":        dc.ReadyState().String(),
	}
}

func (p *peer) wire(dc *webrtc.DataChannel) *channel {
	p.mu.Lock()
	p.nextKey++
	c := &channel{key: p.nextKey, dc: dc, echo: p.echoAll}
	p.chans[c.key] = c
	p.mu.Unlock()
	dc.OnOpen(func() { p.opened(c) })
	dc.OnClose(func() { emit(map[string]interface{}{"t": "close", "peer": p.id, "key": c.key}) })
	dc.OnError(func(err error) {
		emit(map[string]interface{}{"t": "error", "peer": p.id, "key": c.key, "message": "channel: " + err.Error()})
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		c.mu.Lock()
		echo := c.echo
		c.mu.Unlock()
		if echo {
			var err error
			if m.IsString {
				err = dc.SendText(string(m.Data))
			} else {
				err = dc.Send(m.Data)
			}
			if err != nil {
				emit(map[string]interface{}{"t": "error", "peer": p.id, "key": c.key, "message": "echo send failed: " + err.Error()})
			}
		}
		ev := map[string]interface{}{"t": "message", "peer": p.id, "key": c.key, "isString": m.IsString,
			"len": len(m.Data), "at": float64(time.Since(p.t0).Microseconds()) / 1000}
		if p.report {
			ev["b64"] = m.Data // []byte marshals as base64
		}
		emit(ev)
	})
	return c
}

func (p *peer) opened(c *channel) {
	c.mu.Lock()
	first := !c.opened
	c.opened = true
	c.mu.Unlock()
	if first {
		p.raiseSendLimit()
		emit(map[string]interface{}{"t": "open", "peer": p.id, "key": c.key, "info": p.info(c.dc)})
	}
}

var mmsRe = regexp.MustCompile(`(?m)^a=max-message-size:(\d+)`)

// Pion 3.1.56 never sends a message above 65536 bytes whatever the remote's
// a=max-message-size says (webrtc SCTPTransport.updateMessageSize hard-codes
// 65536, pion/webrtc#758; sctp's defaultMaxMessageSize). The other stacks of the
// matrix send what the remote's SDP allows (RFC 8841 §6), so this peer does too:
// it sets its association's limit from the remote description (65536 when the
// attribute is absent, no limit for 0). PION_ECHO_STOCK_MMS=1 keeps pion's own.
func (p *peer) raiseSendLimit() {
	if os.Getenv("PION_ECHO_STOCK_MMS") == "1" {
		return
	}
	rd := p.pc.RemoteDescription()
	if rd == nil {
		return
	}
	limit := uint64(65536)
	if m := mmsRe.FindStringSubmatch(rd.SDP); m != nil {
		if v, err := strconv.ParseUint(m[1], 10, 32); err == nil {
			limit = v
		}
	}
	if limit == 0 || limit > 1<<30 {
		limit = 1 << 30
	}
	if a := association(p.pc.SCTP()); a != nil && a.MaxMessageSize() != uint32(limit) {
		a.SetMaxMessageSize(uint32(limit))
	}
}

// The SCTP association behind a transport (webrtc v3.1.56 keeps it unexported).
func association(t *webrtc.SCTPTransport) *sctp.Association {
	if t == nil {
		return nil
	}
	f := reflect.ValueOf(t).Elem().FieldByName("sctpAssociation")
	if !f.IsValid() || f.Kind() != reflect.Ptr || f.IsNil() {
		return nil
	}
	return (*sctp.Association)(unsafe.Pointer(f.Pointer()))
}

func newPeer(id int, echoAll, report bool) (*peer, error) {
	api := newAPI()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &peer{id: id, api: api, pc: pc, t0: time.Now(), echoAll: echoAll, report: report, chans: map[int]*channel{}, mid: "0"}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		j := c.ToJSON()
		p.mu.Lock()
		mid := p.mid
		p.mu.Unlock()
		emit(map[string]interface{}{"t": "candidate", "peer": id, "mid": mid, "index": 0, "line": j.Candidate})
	})
	state := func() {
		emit(map[string]interface{}{"t": "state", "peer": id, "state": pc.ConnectionState().String(), "ice": pc.ICEConnectionState().String()})
	}
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) { state() })
	pc.OnICEConnectionStateChange(func(webrtc.ICEConnectionState) { state() })
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		c := p.wire(dc)
		emit(map[string]interface{}{"t": "channel", "peer": id, "key": c.key, "info": p.info(dc)})
		if dc.ReadyState() == webrtc.DataChannelStateOpen {
			p.opened(c)
		}
	})
	return p, nil
}

var midRe = regexp.MustCompile(`(?m)^a=mid:(\S+)`)

var sctpPortRe = regexp.MustCompile(`(?m)^a=sctp-port:\d+\r?\n`)

// Pion 3.1.56 reads every data channel message into a buffer of 65535 bytes
// (webrtc datachannel.go: dataChannelBufferSize = math.MaxUint16): a message of
// 65536 bytes, what a peer may send when the SDP has no a=max-message-size (RFC
// 8841 §6.1), fails the read with io.ErrShortBuffer and pion closes the channel.
// Its SDP says nothing, so this peer states the real limit in the description it
// hands out (a=max-message-size:65535). PION_ECHO_STOCK_MMS=1 leaves the SDP as pion wrote it.
func declareReceiveLimit(sdp string) string {
	if os.Getenv("PION_ECHO_STOCK_MMS") == "1" || mmsRe.MatchString(sdp) {
		return sdp
	}
	loc := sctpPortRe.FindStringIndex(sdp)
	if loc == nil {
		return sdp
	}
	eol := "\n"
	if strings.HasSuffix(sdp[loc[0]:loc[1]], "\r\n") {
		eol = "\r\n"
	}
	return sdp[:loc[1]] + "a=max-message-size:65535" + eol + sdp[loc[1]:]
}

func (p *peer) noteMid(sdp string) {
	if m := midRe.FindStringSubmatch(sdp); m != nil {
		p.mu.Lock()
		p.mid = m[1]
		p.mu.Unlock()
	}
}

func (p *peer) flushCandidates() error {
	p.mu.Lock()
	p.haveRemote = true
	early := p.early
	p.early = nil
	p.mu.Unlock()
	for _, c := range early {
		if err := p.pc.AddICECandidate(c); err != nil {
			emit(map[string]interface{}{"t": "error", "peer": p.id, "message": "addIceCandidate: " + err.Error()})
		}
	}
	return nil
}

func (p *peer) channel(key int) (*channel, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.chans[key]
	if c == nil {
		return nil, fmt.Errorf("no channel %d", key)
	}
	return c, nil
}

// ------------------------------------------------------------------ requests

type channelSpec struct {
	Label             string  `json:"label"`
	Ordered           *bool   `json:"ordered"`
	MaxRetransmits    *uint16 `json:"maxRetransmits"`
	MaxPacketLifeTime *uint16 `json:"maxPacketLifeTime"`
	Negotiated        *bool   `json:"negotiated"`
	ID                *uint16 `json:"id"`
	Protocol          *string `json:"protocol"`
}

type request struct {
	ID     int          `json:"id"`
	Op     string       `json:"op"`
	Peer   int          `json:"peer"`
	Echo   bool         `json:"echo"`
	Report *bool        `json:"report"`
	Spec   *channelSpec `json:"spec"`
	SDP    string       `json:"sdp"`
	Mid    string       `json:"mid"`
	Index  uint16       `json:"index"`
	Line   string       `json:"line"`
	Key    int          `json:"key"`
	Text   *string      `json:"text"`
	B64    []byte       `json:"b64"`
	On     bool         `json:"on"`
}

func handle(r *request) (interface{}, error) {
	if r.Op == "create" {
		report := r.Report == nil || *r.Report
		p, err := newPeer(r.Peer, r.Echo, report)
		if err != nil {
			return nil, err
		}
		peersMu.Lock()
		peers[r.Peer] = p
		peersMu.Unlock()
		return true, nil
	}
	if r.Op == "version" {
		return "pion/webrtc v3.1.56", nil
	}
	p, err := getPeer(r.Peer)
	if err != nil {
		return nil, err
	}
	switch r.Op {
	case "createChannel":
		if r.Spec == nil {
			return nil, errors.New("no spec")
		}
		init := &webrtc.DataChannelInit{Ordered: r.Spec.Ordered, MaxRetransmits: r.Spec.MaxRetransmits,
			MaxPacketLifeTime: r.Spec.MaxPacketLifeTime, Negotiated: r.Spec.Negotiated, ID: r.Spec.ID, Protocol: r.Spec.Protocol}
		dc, err := p.pc.CreateDataChannel(r.Spec.Label, init)
		if err != nil {
			return nil, err
		}
		c := p.wire(dc)
		if dc.ReadyState() == webrtc.DataChannelStateOpen {
			go p.opened(c)
		}
		return map[string]interface{}{"key": c.key, "info": p.info(dc)}, nil
	case "createOffer":
		o, err := p.pc.CreateOffer(nil)
		if err != nil {
			return nil, err
		}
		p.noteMid(o.SDP)
		if err := p.pc.SetLocalDescription(o); err != nil {
			return nil, err
		}
		return declareReceiveLimit(p.pc.LocalDescription().SDP), nil
	case "acceptOffer":
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.SDP}); err != nil {
			return nil, err
		}
		p.flushCandidates()
		a, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return nil, err
		}
		p.noteMid(a.SDP)
		if err := p.pc.SetLocalDescription(a); err != nil {
			return nil, err
		}
		return declareReceiveLimit(p.pc.LocalDescription().SDP), nil
	case "acceptAnswer":
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: r.SDP}); err != nil {
			return nil, err
		}
		return nil, p.flushCandidates()
	case "addCandidate":
		line := strings.TrimSpace(strings.TrimPrefix(r.Line, "a="))
		if !strings.HasPrefix(line, "candidate:") {
			line = "candidate:" + line
		}
		mid, idx := r.Mid, r.Index
		c := webrtc.ICECandidateInit{Candidate: line, SDPMid: &mid, SDPMLineIndex: &idx}
		p.mu.Lock()
		if !p.haveRemote {
			p.early = append(p.early, c)
			p.mu.Unlock()
			return nil, nil
		}
		p.mu.Unlock()
		return nil, p.pc.AddICECandidate(c)
	case "send":
		c, err := p.channel(r.Key)
		if err != nil {
			return nil, err
		}
		p.raiseSendLimit()
		if r.Text != nil {
			return nil, c.dc.SendText(*r.Text)
		}
		return nil, c.dc.Send(r.B64)
	case "setEcho":
		c, err := p.channel(r.Key)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.echo = r.On
		c.mu.Unlock()
		return nil, nil
	case "closeChannel":
		c, err := p.channel(r.Key)
		if err != nil {
			return nil, err
		}
		return nil, c.dc.Close()
	case "info":
		c, err := p.channel(r.Key)
		if err != nil {
			return nil, err
		}
		return p.info(c.dc), nil
	case "bufferedAmount":
		c, err := p.channel(r.Key)
		if err != nil {
			return nil, err
		}
		return c.dc.BufferedAmount(), nil
	case "maxMessageSize":
		if a := association(p.pc.SCTP()); a != nil {
			return a.MaxMessageSize(), nil
		}
		return nil, nil
	case "state":
		return map[string]string{"state": p.pc.ConnectionState().String(), "ice": p.pc.ICEConnectionState().String()}, nil
	case "close":
		// As W3C close(), which never throws: pion 3.1.56 returns "dtls fatal: conn is closed" when
		// the remote closed first; that goes to stderr only.
		if err := p.pc.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "pion-echo: peer %d: Close: %v\n", p.id, err)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown op %q", r.Op)
}

func serve() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var r request
			if jerr := json.Unmarshal(line, &r); jerr != nil {
				emit(map[string]interface{}{"t": "error", "message": "bad request: " + jerr.Error()})
			} else if r.Op == "exit" {
				break
			} else {
				res, herr := handle(&r)
				if herr != nil {
					emit(map[string]interface{}{"id": r.ID, "ok": false, "error": herr.Error()})
				} else {
					emit(map[string]interface{}{"id": r.ID, "ok": true, "result": res})
				}
			}
		}
		if err != nil {
			break
		}
	}
	peersMu.Lock()
	all := make([]*peer, 0, len(peers))
	for _, p := range peers {
		all = append(all, p)
	}
	peersMu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, p := range all {
			p.pc.Close()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bench" {
		bench(os.Args[2:])
		return
	}
	serve()
}
