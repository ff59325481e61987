-- A second assembly's 0001_initial, next to the demo API's: both must apply.
CREATE TABLE migration_test_notes (
    id    bigint PRIMARY KEY,
    text  text NOT NULL
);
