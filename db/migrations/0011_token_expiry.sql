-- Bearer tokens expire: each member's token carries its expiry (TOKEN_TTL_DAYS from its issue). NULL means no
-- expiry and belongs to the built-in administrator alone, whose token is PINGAN_ADMIN_TOKEN or the admin-token file.
ALTER TABLE users ADD COLUMN token_expires_at timestamptz;
-- Tokens issued before expiry existed get the default period (90 days) from now.
UPDATE users SET token_expires_at = now() + interval '90 days' WHERE id <> 'admin' AND token_expires_at IS NULL;
