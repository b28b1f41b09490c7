.PHONY: setup run test lint train

setup:  ## venv, packages, spaCy pipeline, trained model, demo data
	scripts/setup.sh

run:    ## set up and chat with the assistant as the demo employee (USER=u-alex for another)
	scripts/run.sh --user $(or $(USER_ID),u-mei)

test:   ## the whole test suite
	scripts/test.sh

lint:
	.venv/bin/ruff check bot actions tests bench
