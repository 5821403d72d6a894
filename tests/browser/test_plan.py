"""In Chromium, an agent opens an account's send plan from the accounts list: a chart of
the next 7 days with a legend naming each campaign and the daily cap, bars stacked by
campaign under the cap, and each campaign's finish, the second after the first."""

from pathlib import Path

import pytest

from campaigns.launching import blasts
from tests.conftest import log_in, two_blasts

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PLAN_CHART = """() => {
    const chart = Chart.getChart(document.querySelector("#plan-chart canvas"));
    return {
        legend: chart.options.plugins.legend.display,
        stacked: chart.options.scales.y.stacked,
        labels: chart.data.datasets.map((dataset) => dataset.label),
        types: chart.data.datasets.map((dataset) => dataset.type || chart.config.type),
        data: chart.data.datasets.map((dataset) => dataset.data),
        days: chart.data.labels.length,
        ticks: chart.scales.y.ticks.length,
    };
}"""


@pytest.mark.browser
def test_an_agent_reads_the_send_plan_of_an_account(live_server, browser, staff_a, account_a):
    staff_a.set_password("correct horse")
    staff_a.save()
    _, open_house = two_blasts(account_a)
    blasts.campaign_launch(campaign=open_house)
    page = browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 1300})
    log_in(page, live_server, "alice", "correct horse")

    page.goto(f"{live_server.url}/admin/campaigns/emailaccount/")
    link = page.get_attribute(f'a[href$="/{account_a.pk}/plan/"]', "href")  # in the row's menu
    page.goto(live_server.url + link)
    chart = page.evaluate(PLAN_CHART)
    assert chart["legend"] and chart["stacked"] and chart["ticks"] > 1 and chart["days"] == 7
    assert chart["labels"] == ["Spring blast", "Open house", "Daily cap"]
    assert chart["types"] == ["bar", "bar", "line"]
    spring_days, open_house_days, cap = chart["data"]
    assert spring_days[:3] == [40, 20, 0] and open_house_days[:3] == [0, 20, 10]
    assert cap == [40] * 7
    rows = page.locator("#plan-campaigns tbody tr")
    assert rows.nth(0).inner_text().startswith("Spring blast")
    assert "after Spring blast, which is ahead of it in the queue" in rows.nth(1).inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plan-1-account.png"))

    page.click("#plan-campaigns a:text('Open house')")
    assert "after Spring blast" in page.inner_text("#planned-finish")
