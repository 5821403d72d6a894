"""The web form an agency pastes into its site: shown with its own key when a key is made,
and in docs/importing.md (a test checks that both are this text and that it works)."""

FORM = """\
<form action="{endpoint}" method="post">
  <input type="hidden" name="key" value="{key}">
  <label>First name <input name="first_name" autocomplete="given-name"></label>
  <label>Last name <input name="last_name" autocomplete="family-name"></label>
  <label>Email <input name="email" type="email" required autocomplete="email"></label>
  <label>Phone <input name="phone" type="tel" autocomplete="tel"></label>
  <label>Where are you looking? <input name="city"></label>
  <label>Budget <input name="budget" placeholder="e.g. 500k-700k"></label>
  <label>When do you plan to move? <input name="timeframe"></label>
  <label><input type="checkbox" name="consent" value="yes"> Email me new listings</label>
  <!-- Left empty by people, filled by robots: a post with it filled is dropped. -->
  <div style="position:absolute;left:-10000px" aria-hidden="true">
    <input name="_gotcha" tabindex="-1" autocomplete="off">
  </div>
  <button type="submit">Send</button>
</form>
"""
# What docs/importing.md shows in place of an agency's own address and key.
DOCS_ENDPOINT = "https://campaigns.your-agency.example/api/leads/"
DOCS_KEY = "lk_your_key"


def form_for(endpoint: str, key: str) -> str:
    return FORM.format(endpoint=endpoint, key=key)
