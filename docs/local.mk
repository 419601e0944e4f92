# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/conformance.md docs/engine.md docs/fuzzing.md \
	docs/plugins.md docs/policies.md docs/rfc9293-must.md docs/simulator.md \
	docs/state-diagram.dot docs/state-diagram.svg docs/tun.md docs/experiments.md \
	docs/figures/close-timeline.png docs/figures/close-timeline.svg \
	docs/figures/loss-sweep.png docs/figures/loss-sweep.svg \
	docs/figures/rto-vs-rtt.png docs/figures/rto-vs-rtt.svg
