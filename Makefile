# ackscope: `make serve` to use it, `make test` to test it. Both install what is missing.
.PHONY: setup serve build test bench fuzz clean

setup:
	@scripts/setup.sh

serve: setup
	@scripts/serve.sh

build: setup
	@scripts/build.sh

test: setup
	@scripts/test.sh

bench: setup
	@scripts/bench.sh

fuzz: setup
	@scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	cargo clean
	rm -rf dist .run
