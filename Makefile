# The two commands of the README.
.PHONY: run test guests setup

# Runs the hello example once with default limits and prints its report.
run: guests
	cargo run --release --locked -p jinn-host --bin jinn -- run examples/wasm/hello.wasm --report

# Everything CI checks.
test:
	bash scripts/test.sh

guests: setup
	bash scripts/build-examples.sh

setup:
	bash scripts/setup.sh
