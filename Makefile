# The same commands as `cargo run -p migration -- <command>`; DATABASE_URL (or .env) picks the
# database, and without it an embedded SQLite file db.sqlite3 is used.
MIGRATION = cargo run --quiet -p migration --

.PHONY: makemigrations migrate rollback showmigrations check current history fresh test bench demo

makemigrations:
	$(MIGRATION) makemigrations $(if $(msg),-m "$(msg)",)

migrate:
	$(MIGRATION) migrate $(target)

rollback:
	$(MIGRATION) rollback $(if $(steps),-s $(steps),)

showmigrations:
	$(MIGRATION) showmigrations

check:
	$(MIGRATION) check

current:
	$(MIGRATION) current

history:
	$(MIGRATION) history

# Development: drop the project's tables and apply every migration again (asks first).
fresh:
	$(MIGRATION) fresh

# The test suite: SQLite always, PostgreSQL and MySQL/MariaDB when MAKEMIGRATIONS_TEST_POSTGRES
# and MAKEMIGRATIONS_TEST_MYSQL are set (.ci/run sets both).
test:
	cargo test --workspace

bench:
	cargo xtask bench

# The sample end to end on the embedded SQLite default: apply, verify, roll back, apply again.
demo:
	$(MIGRATION) migrate
	$(MIGRATION) showmigrations
	$(MIGRATION) check
	$(MIGRATION) rollback --all
	$(MIGRATION) migrate
	$(MIGRATION) makemigrations --check
