// Lists the migration files and the entities at compile time: adding a file or an entity needs
// no edit anywhere else.
fn main() {
    makemigrations_build::Config::new("entity", "../entity").generate();
}
