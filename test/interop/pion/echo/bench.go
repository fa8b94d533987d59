// `pion-echo bench`: pion against pion in this process on 127.0.0.1, measured
// the way bench/datachannel.mjs measures the other stacks (setup, 16 KiB
// throughput with bufferedAmount kept under 1 MiB, 100-byte echo RTT, memory per
// open connection), printed as one JSON line shaped like that script's results.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v3"
)

type pair struct {
	a, b     *webrtc.PeerConnection
	da, db   *webrtc.DataChannel
	setupMs  float64
	onB, onA atomic.Value // func(webrtc.DataChannelMessage)
}

func (p *pair) close() {
	p.a.Close()
	p.b.Close()
}

func makePair(api *webrtc.API) (*pair, error) {
	a, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	b, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		a.Close()
		return nil, err
	}
	p := &pair{a: a, b: b}
	p.onA.Store(func(webrtc.DataChannelMessage) {})
	p.onB.Store(func(webrtc.DataChannelMessage) {})
	// Trickled candidates handed over at once (held until the remote description is set).
	var mu sync.Mutex
	haveRemote := map[*webrtc.PeerConnection]bool{}
	early := map[*webrtc.PeerConnection][]webrtc.ICECandidateInit{}
	give := func(to *webrtc.PeerConnection, c webrtc.ICECandidateInit) {
		mu.Lock()
		if !haveRemote[to] {
			early[to] = append(early[to], c)
			mu.Unlock()
			return
		}
		mu.Unlock()
		to.AddICECandidate(c)
	}
	remoteSet := func(pc *webrtc.PeerConnection) {
		mu.Lock()
		haveRemote[pc] = true
		list := early[pc]
		early[pc] = nil
		mu.Unlock()
		for _, c := range list {
			pc.AddICECandidate(c)
		}
	}
	a.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			give(b, c.ToJSON())
		}
	})
	b.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			give(a, c.ToJSON())
		}
	})
	openA := make(chan struct{})
	openB := make(chan *webrtc.DataChannel, 1)
	b.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) { p.onB.Load().(func(webrtc.DataChannelMessage))(m) })
		dc.OnOpen(func() { openB <- dc })
	})
	t0 := time.Now()
	da, err := a.CreateDataChannel("bench", nil)
	if err != nil {
		p.close()
		return nil, err
	}
	da.OnOpen(func() { close(openA) })
	da.OnMessage(func(m webrtc.DataChannelMessage) { p.onA.Load().(func(webrtc.DataChannelMessage))(m) })
	fail := func(err error) (*pair, error) {
		p.close()
		return nil, err
	}
	offer, err := a.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	if err = a.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	if err = b.SetRemoteDescription(offer); err != nil {
		return fail(err)
	}
	remoteSet(b)
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	if err = b.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	if err = a.SetRemoteDescription(answer); err != nil {
		return fail(err)
	}
	remoteSet(a)
	timeout := time.After(15 * time.Second)
	select {
	case <-openA:
	case <-timeout:
		return fail(errors.New("pion: channel not open within 15 s"))
	}
	select {
	case p.db = <-openB:
	case <-timeout:
		return fail(errors.New("pion: channel not announced within 15 s"))
	}
	p.da = da
	p.setupMs = float64(time.Since(t0).Microseconds()) / 1000
	return p, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[(len(s)-1)/2]
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

func benchSetup(api *webrtc.API, runs int) (interface{}, error) {
	var times []float64
	for i := 0; i < runs; i++ {
		p, err := makePair(api)
		if err != nil {
			return nil, err
		}
		times = append(times, p.setupMs)
		p.close()
		time.Sleep(20 * time.Millisecond)
	}
	min, max := times[0], times[0]
	for _, t := range times {
		if t < min {
			min = t
		}
		if t > max {
			max = t
		}
	}
	return map[string]float64{"medianMs": median(times), "minMs": min, "maxMs": max}, nil
}

func benchThroughput(api *webrtc.API, seconds float64) (interface{}, error) {
	const msgSize, bound, maxBytes = 16 * 1024, 1024 * 1024, 64 * 1024 * 1024
	p, err := makePair(api)
	if err != nil {
		return nil, err
	}
	defer p.close()
	msg := make([]byte, msgSize)
	for i := range msg {
		msg[i] = byte(i)
	}
	var received, tFirst, tLast int64
	t0 := time.Now()
	p.onB.Store(func(m webrtc.DataChannelMessage) {
		now := int64(time.Since(t0))
		atomic.CompareAndSwapInt64(&tFirst, 0, now)
		atomic.StoreInt64(&tLast, now)
		atomic.AddInt64(&received, int64(len(m.Data)))
	})
	low := make(chan struct{}, 1)
	p.da.SetBufferedAmountLowThreshold(bound / 2)
	p.da.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	sent := int64(0)
	maxBuffered := uint64(0)
	stop := t0.Add(time.Duration(seconds * float64(time.Second)))
	for sent < maxBytes && time.Now().Before(stop) {
		for p.da.BufferedAmount()+msgSize <= bound && sent < maxBytes {
			if err := p.da.Send(msg); err != nil {
				return nil, err
			}
			sent += msgSize
		}
		if b := p.da.BufferedAmount(); b > maxBuffered {
			maxBuffered = b
		}
		select {
		case <-low:
		case <-time.After(5 * time.Millisecond):
		}
	}
	drainEnd := time.Now().Add(10 * time.Second)
	for atomic.LoadInt64(&received) < sent && time.Now().Before(drainEnd) {
		time.Sleep(time.Millisecond)
	}
	r := atomic.LoadInt64(&received)
	secs := float64(atomic.LoadInt64(&tLast)) / 1e9
	return map[string]interface{}{"mbPerS": float64(r) / 1e6 / secs, "sentMiB": float64(sent) / 1048576, "receivedMiB": float64(r) / 1048576,
		"complete": r == sent, "maxBuffered": maxBuffered, "seconds": secs}, nil
}

func benchRtt(api *webrtc.API, pings int) (interface{}, error) {
	p, err := makePair(api)
	if err != nil {
		return nil, err
	}
	defer p.close()
	p.onB.Store(func(m webrtc.DataChannelMessage) { p.db.Send(m.Data) })
	echo := make(chan struct{}, 1)
	p.onA.Store(func(webrtc.DataChannelMessage) { echo <- struct{}{} })
	ping := make([]byte, 100)
	for i := range ping {
		ping[i] = 7
	}
	var rtts []float64
	end := time.Now().Add(10 * time.Second)
	for i := 0; i < pings+50 && time.Now().Before(end); i++ {
		t := time.Now()
		if err := p.da.Send(ping); err != nil {
			return nil, err
		}
		select {
		case <-echo:
		case <-time.After(5 * time.Second):
			return nil, errors.New("timeout: echo")
		}
		if i >= 50 {
			rtts = append(rtts, float64(time.Since(t).Nanoseconds())/1000)
		}
	}
	return map[string]interface{}{"medianUs": median(rtts), "p99Us": pct(rtts, 99), "n": len(rtts)}, nil
}

func rssBytes() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize())
}

func settle() (rss, heap float64) {
	var ms runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
	runtime.ReadMemStats(&ms)
	return rssBytes(), float64(ms.HeapAlloc)
}

func benchMemory(api *webrtc.API, n int) (interface{}, error) {
	p, err := makePair(api)
	if err != nil {
		return nil, err
	}
	p.close()
	time.Sleep(200 * time.Millisecond)
	rss0, heap0 := settle()
	var pairs []*pair
	defer func() {
		for _, q := range pairs {
			q.close()
		}
	}()
	for i := 0; i < n; i += 10 {
		k := n - i
		if k > 10 {
			k = 10
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for j := 0; j < k; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				q, err := makePair(api)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					firstErr = err
					return
				}
				pairs = append(pairs, q)
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	time.Sleep(300 * time.Millisecond)
	rss1, heap1 := settle()
	c := float64(len(pairs))
	return map[string]interface{}{"connections": len(pairs), "rssKiBPerConnection": (rss1 - rss0) / 1024 / c,
		"heapKiBPerConnection": (heap1 - heap0) / 1024 / c, "externalKiBPerConnection": 0}, nil
}

func bench(args []string) {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	setupRuns := fs.Int("setup-runs", 10, "pairs for the setup median")
	tputSeconds := fs.Float64("tput-seconds", 3, "throughput run length")
	pings := fs.Int("pings", 2000, "pings after 50 warm-up ones")
	mem := fs.Int("mem-connections", 50, "open pairs for the memory figure")
	fs.Parse(args)
	api := newAPI()
	res := map[string]interface{}{"name": "pion", "version": "pion/webrtc v3.1.56 (Go " + runtime.Version() + ", Debian sources), pion <-> pion in one Go process"}
	run := func(name string, f func() (interface{}, error)) {
		v, err := f()
		if err != nil {
			res[name] = map[string]string{"error": err.Error()}
			return
		}
		res[name] = v
	}
	run("setup", func() (interface{}, error) { return benchSetup(api, *setupRuns) })
	run("throughput", func() (interface{}, error) { return benchThroughput(api, *tputSeconds) })
	run("rtt", func() (interface{}, error) { return benchRtt(api, *pings) })
	run("memory", func() (interface{}, error) { return benchMemory(api, *mem) })
	b, _ := json.Marshal(res)
	os.Stdout.Write(append(b, '\n'))
}
