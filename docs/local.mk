# Documentation shipped in the tarball.
EXTRA_DIST += docs/codec.md docs/simulator.md
