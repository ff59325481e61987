-- Not named NNNN_name.sql: refused before anything is applied.
CREATE TABLE migration_test_misnamed (id bigint PRIMARY KEY);
