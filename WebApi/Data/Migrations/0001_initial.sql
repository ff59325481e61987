-- Users' profiles, posts and shopping carts: the demo's three services.
CREATE TABLE users (
    id          bigint PRIMARY KEY,
    name        text        NOT NULL,
    bio         text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE posts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL,
    content     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A user's posts, newest first; and the global feed, newest first.
CREATE INDEX posts_user_id_created_at ON posts (user_id, created_at DESC, id DESC);
CREATE INDEX posts_created_at ON posts (created_at DESC, id DESC);

CREATE TABLE cart_items (
    user_id     bigint      NOT NULL,
    product_id  bigint      NOT NULL,
    quantity    integer     NOT NULL CHECK (quantity > 0),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, product_id)
);
