"""One shop folder on disk: set-up (`till init`), the running till's context, file permissions, `till doctor`."""
