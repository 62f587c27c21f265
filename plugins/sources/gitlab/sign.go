package gitlab

import "github.com/hookferry/hookferry/sdk"

var _ sdk.Signer = (*Source)(nil)

// Sign sets X-Gitlab-Token to the configured secret token, which is how
// GitLab authenticates a plain webhook.
func (s *Source) Sign(req *sdk.Request) error {
	req.Header.Set(headerToken, string(s.secrets[0]))
	return nil
}
