# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/conformance.md docs/engine.md docs/fuzzing.md \
	docs/plugins.md docs/policies.md docs/rfc9293-must.md docs/simulator.md \
	docs/state-diagram.dot docs/state-diagram.svg docs/tun.md
