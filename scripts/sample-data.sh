# The sample data (data/README.md) as two tables, for the demo and the tests. Sourced;
# sample_tables_sql prints the SQL that creates vendor_personas (the vendor's three personas)
# and survey (five months of survey answers) and fills them with psql's \copy from data/.
sample_tables_sql() {
    local data
    data="$(cd "$(dirname "${BASH_SOURCE[0]}")/../data" && pwd)"
    cat <<SQL
CREATE TABLE vendor_personas (persona text, x1 float8, x2 float8, x3 float8, x4 float8,
    x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8);
\copy vendor_personas FROM '$data/seed_personas.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE survey (customer_id integer PRIMARY KEY, survey_date date,
    x1 float8, x2 float8, x3 float8, x4 float8, x5 float8,
    x6 float8, x7 float8, x8 float8, x9 float8, x10 float8, true_persona text);
\copy survey FROM '$data/survey_2025.csv' WITH (FORMAT csv, HEADER)
SQL
}
