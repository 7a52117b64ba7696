# ackscope: `make serve` to use it, `make test` to test it. Both install what is missing.
.PHONY: setup serve build test test-brokers bench fuzz clean soak

setup:
	@scripts/setup.sh

serve: setup
	@scripts/serve.sh

build: setup
	@scripts/build.sh

test: setup
	@scripts/test.sh

# The broker check end to end against RabbitMQ 3.10 (make test covers mosquitto; a private RabbitMQ
# starts in about 20 s, so it is not part of `make test`; CI runs both).
test-brokers: setup
	@scripts/build.sh && ACKSCOPE_E2E_RABBITMQ=1 node tests/e2e/run.mjs broker_check-rabbitmq

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
