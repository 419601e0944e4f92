# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/conformance.md docs/policies.md docs/state-diagram.dot docs/state-diagram.svg
