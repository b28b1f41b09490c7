# Rasa's anonymous telemetry is off for everything started from here (rasa train, the servers,
# the benchmarks) unless RASA_TELEMETRY_ENABLED is set in the environment (=true turns it on).
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: setup run run-production test lint train readme-conversations bench bench-nlu bench-banking77 bench-dialogue bench-latency bench-scale bench-names bench-cost

setup:  ## venv, packages, spaCy pipeline, trained model, demo data
	scripts/setup.sh

run:    ## set up and chat with the assistant as the demo employee (USER=u-alex for another)
	scripts/run.sh --user $(or $(USER_ID),u-mei)

run-production:  ## the production profile on the local PostgreSQL, Redis, RabbitMQ (README "Production profile")
	scripts/run.sh --profile production --user $(or $(USER_ID),u-mei)

test:   ## the whole test suite
	scripts/test.sh

readme-conversations:  ## replay the README's sample conversations on the real servers (Markdown to stdout)
	.venv/bin/python scripts/readme_conversations.py

lint:
	.venv/bin/ruff check .
	.venv/bin/lint-imports

# Benchmarks (README "Performance"): each prints tables and writes bench/results/<name>.json.
# Run after `make setup`; pass options with ARGS="...", e.g. make bench-latency ARGS="--users 1 8".
bench-nlu:        ## intent/entity/out-of-scope accuracy: cross-validation + held-out, pipelines compared
	.venv/bin/python -m bench.nlu $(ARGS)

bench-banking77:  ## the chosen NLU pipeline on BANKING77 10-shot (data: ../shared/data/banking77 or BANKING77_DIR)
	.venv/bin/python -m bench.banking77 $(ARGS)

bench-dialogue:   ## test stories, end-to-end demo conversations, turns to the root cause
	.venv/bin/python -m bench.dialogue $(ARGS)

bench-latency:    ## turn latency and throughput for 1/8/32 users vs the stock `rasa init` assistant
	.venv/bin/python -m bench.latency $(ARGS)

bench-scale:      ## diagnose and scenario load at 10k/100k/1M orders on SQLite and PostgreSQL
	.venv/bin/python -m bench.scale $(ARGS)

bench-cost:       ## training and retraining time, start-up time, resident memory
	.venv/bin/python -m bench.cost $(ARGS)

bench-names:      ## people and company names looked up per message at 100/1k/5k of each
	.venv/bin/python -m bench.name_lookup $(ARGS)

bench: bench-nlu bench-banking77 bench-dialogue bench-scale bench-names bench-cost bench-latency
