# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/policies.md docs/state-diagram.dot docs/state-diagram.svg \
	docs/engine.md docs/rfc9293-must.md
