# Switchboard: the two commands a newcomer types are `make demo` and `make test`.
PGPORT      ?= 55432
TEST_PGPORT ?= 55439
BUILD_DIR   ?= build
export PGPORT TEST_PGPORT BUILD_DIR

.PHONY: all deps build install db stop clean test demo migrate bench fuzz format unit

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@bash scripts/build.sh

install: build
	@bash scripts/install.sh

db: install
	@bash scripts/db.sh start

stop:
	@bash scripts/db.sh stop

clean:
	@bash scripts/db.sh clean
	rm -rf $(BUILD_DIR)

test:
	@bash scripts/test.sh

demo: db
	@bash scripts/demo.sh

migrate:
	@bash scripts/migrate.sh "$(DATABASE_URL)"

bench: install
	@bash bench/run.sh

fuzz: deps
	@bash tests/fuzz/run.sh long

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')
