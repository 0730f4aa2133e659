"""Written proxies (授权委托书): registration with a scan, scope, instructions, cap, revocation."""
