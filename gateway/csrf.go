package gateway

import (
	"errors"
	"net/http"

	"github.com/crossgate/crossgate/config"
)

// csrfHandler builds a route's CSRF protection in front of its proxy.
func (g *Gateway) csrfHandler(rt *route, c *config.CSRF) (http.Handler, error) {
	return nil, errors.New("csrf protection is not available in this build")
}
