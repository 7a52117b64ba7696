# ackscope: `make serve` to use it, `make test` to test it. Both install what is missing.
.PHONY: setup serve build test bench fuzz clean soak

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

# The chaos soak (not part of `make test`, which runs a short one): 10,000 probes at QoS 1, then
# at QoS 2, through fault proxies that cut the sender or the receiver every 0.3 to 3 s; the
# receiver must match an independent witness. `make soak SOAK_PROBES=2000` for a shorter one.
soak: setup
	@scripts/build.sh && node tests/e2e/soak.mjs $(or $(SOAK_PROBES),10000)

clean:
	cargo clean
	rm -rf dist .run
