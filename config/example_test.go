package config_test

import (
	"fmt"

	"github.com/crossgate/crossgate/config"
)

func ExampleParse() {
	_, err := config.Parse("crossgate.yaml", []byte(`
policies:
  web:
    allow_origins: [https://app.example.com, "https://*.com"]
    alow_methods: [GET, POST]
upstreams:
  users: {targets: [http://127.0.0.1:9001]}
routes:
  - {id: users, path_prefix: /users/, upstream: user, cors: web}
`))
	fmt.Println(err)
	// Output:
	// crossgate.yaml:4:46: policy "web": allow_origins[1] "https://*.com": "com" is a public suffix, so anyone can register a subdomain of it; list your own domains ("https://*.yourdomain.com"), or set dangerously_allow_public_suffix_wildcards
	// crossgate.yaml:5:5: unknown key "alow_methods" in policy "web"; did you mean "allow_methods"?
	// crossgate.yaml:9:49: route "users": upstream "user" is not defined; did you mean "users"?
}
