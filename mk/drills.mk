# drills.mk -- `make drills`: fault drills under load (tests/drills/, docs/drills.md).
# Own stack on free ports in a temporary folder; ends "drills: N passed, M failed".
#   PARLEY_DRILLS="1- 3-"   only some drills;  PARLEY_KEEP_VAR=1  keep logs
.PHONY: drills
drills: all
	@scripts/install-deps.sh --node >&2
	@PARLEY_BUILD=$(BUILD) node tests/drills/run.js
