# The two commands of the README.
.PHONY: run test check guests setup deb dist

# Serves the example functions on 127.0.0.1:8080 (./jinn.toml).
run: guests
	cargo run --release --locked -p jinn-host --bin jinn -- serve

# Everything CI checks.
test:
	bash scripts/test.sh

# The fast tier, without root: format, lints, unit and host tests.
check:
	bash scripts/check.sh

# The Debian package of this machine's release build (target/deb/).
deb:
	bash scripts/deb.sh

# Static release binaries for Linux gateways (target/dist/); not part of test.
dist:
	bash scripts/dist.sh

guests: setup
	bash scripts/build-examples.sh

setup:
	bash scripts/setup.sh
