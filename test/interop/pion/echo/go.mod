// A throw-away module: test/interop/pion/build.mjs copies this directory to
// build/pion/, appends a `replace MODULE => DIR` for every module under
// /usr/share/gocode/src (Debian's golang-*-dev packages) and a stub for every
// module the graph names that is not there (test-only dependencies), and builds
// it offline (GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off).
module wasmrtc.test/pion-echo

go 1.19

require github.com/pion/webrtc/v3 v3.1.56
