// A new migration file must trigger a rebuild: sqlx::migrate! embeds the folder at compile time.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
