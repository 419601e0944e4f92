# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/fuzzing.md docs/policies.md docs/simulator.md \
	docs/state-diagram.dot docs/state-diagram.svg
