# The same commands as `cargo run -p migration -- <command>`; DATABASE_URL (or .env) picks the
# database, and without it an embedded SQLite file db.sqlite3 is used.
MIGRATION = cargo run --quiet -p migration --

.PHONY: build makemigrations migrate rollback showmigrations check current history fresh test bench demo

# Every command builds first, with cargo's progress showing: the first build compiles sea-orm and
# the database drivers (several minutes), which `cargo run --quiet` would do in silence.
build:
	cargo build -p migration

makemigrations: build
	$(MIGRATION) makemigrations $(if $(msg),-m "$(msg)",)

migrate: build
	$(MIGRATION) migrate $(target)

rollback: build
	$(MIGRATION) rollback $(if $(steps),-s $(steps),)

showmigrations: build
	$(MIGRATION) showmigrations

check: build
	$(MIGRATION) check

current: build
	$(MIGRATION) current

history: build
	$(MIGRATION) history

# Development: drop the project's tables and apply every migration again (asks first).
fresh: build
	$(MIGRATION) fresh

# The test suite: SQLite always, PostgreSQL and MySQL/MariaDB when MAKEMIGRATIONS_TEST_POSTGRES
# and MAKEMIGRATIONS_TEST_MYSQL are set (.ci/run sets both).
test:
	cargo test --workspace

bench:
	cargo xtask bench

# The sample end to end on the embedded SQLite default: apply, verify, roll back, apply again.
demo: build
	$(MIGRATION) migrate
	$(MIGRATION) showmigrations
	$(MIGRATION) check
	$(MIGRATION) rollback --all
	$(MIGRATION) migrate
	$(MIGRATION) makemigrations --check
