"""Head office's pages in Chromium against the real server: log in, a till that missed its
sync shown red, an alert acknowledged with a note, a CSV downloaded; the main pages saved as
screenshots at desktop and phone sizes (build/screenshots) for a person to look at."""

from __future__ import annotations

import csv

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import screenshots, wait_for_file
from tests.support.ho_web import PASSWORD, USERS


def wait(driver, timeout_s: float = 15) -> WebDriverWait:
    return WebDriverWait(driver, timeout_s)


def log_in(driver, office, username: str, password: str = PASSWORD) -> None:
    driver.get(office.url + "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()


def logged_in(driver, office, role: str) -> None:
    log_in(driver, office, USERS[role])
    wait(driver).until(lambda d: "/login" not in d.current_url)


def test_log_in_and_a_wrong_password_is_refused(served, browser):
    log_in(browser, served, USERS["viewer"], "not the password at all")
    wait(browser).until(seen.url_contains("/login"))
    assert "Wrong username or password" in browser.page_source
    screenshots(browser, "login-refused")
    log_in(browser, served, USERS["viewer"])
    wait(browser).until(lambda d: "/login" not in d.current_url)
    assert "Shops" in browser.find_element(By.TAG_NAME, "nav").text


def test_a_till_that_missed_its_sync_is_red_and_one_that_synced_is_not(served, browser):
    logged_in(browser, served, "viewer")
    browser.get(served.url + "/shops")
    late, synced = browser.find_element(By.ID, "till-L01"), browser.find_element(By.ID, "till-P01")
    assert "red" in late.get_attribute("class").split() and "(late)" in late.text
    assert "red" not in synced.get_attribute("class").split()
    assert "1 till not synced" in browser.find_element(By.ID, "stale-count").text
    # the colour a person sees, not only the class: the stylesheet makes .red red
    assert browser.execute_script("return getComputedStyle(arguments[0]).color", late) != \
        browser.execute_script("return getComputedStyle(arguments[0]).color", synced)
    screenshots(browser, "shops")
    late.find_element(By.LINK_TEXT, "L01").click()
    wait(browser).until(seen.url_contains("/tills/L01"))
    assert "more than a day ago" in browser.find_element(By.ID, "till-sync").text
    screenshots(browser, "till")


def test_a_manager_acknowledges_an_alert_with_a_note(served, browser):
    logged_in(browser, served, "manager")
    browser.get(served.url + "/alerts?code=CONFLICT")
    row = browser.find_element(By.CSS_SELECTOR, "table.alerts tbody tr")
    assert "CONFLICT" in row.text and "P01" in row.text and "open" in row.text
    assert "held hash" in row.text and "sent hash" in row.text  # the evidence, readable
    screenshots(browser, "alerts")
    row.find_element(By.PARTIAL_LINK_TEXT, "#").click()
    wait(browser).until(seen.presence_of_element_located((By.ID, "acknowledge")))
    browser.find_element(By.ID, "note").send_keys("Called the shop: a test copy sent by hand, nothing lost.")
    browser.find_element(By.CSS_SELECTOR, "#acknowledge button[type=submit]").click()
    wait(browser).until(seen.presence_of_element_located((By.ID, "history")))
    assert browser.find_element(By.ID, "alert-state").text.startswith("Acknowledged")
    history = browser.find_element(By.ID, "history").text
    assert USERS["manager"] in history and "nothing lost" in history
    screenshots(browser, "alert")
    browser.get(served.url + "/alerts?code=CONFLICT")
    assert "acknowledged" in browser.find_element(By.CSS_SELECTOR, "table.alerts tbody tr").text


def test_the_shops_table_downloads_as_csv(served, browser):
    logged_in(browser, served, "viewer")
    browser.get(served.url + "/shops")
    browser.find_element(By.ID, "shops-csv").click()
    downloaded = wait_for_file(browser.downloads, "shops*.csv")
    rows = {row["till"]: row for row in csv.DictReader(downloaded.read_text(encoding="utf-8-sig").splitlines())}
    assert (rows["L01"]["shop"], rows["L01"]["stale"]) == ("LYON", "yes")
    assert (rows["P01"]["shop"], rows["P01"]["stale"]) == ("PARIS", "no")


def test_drill_from_a_return_reason_to_its_tickets_and_a_ticket_to_its_lines(served, browser):
    logged_in(browser, served, "viewer")
    browser.get(served.url + "/returns")
    reason = browser.find_element(By.CSS_SELECTOR, '#returns-by-reason a[data-reason="defective"]')
    screenshots(browser, "returns")
    reason.click()
    wait(browser).until(seen.url_contains("/returns/reason"))
    tickets = browser.find_elements(By.CSS_SELECTOR, "#reason-tickets a[data-ticket]")
    assert len(tickets) == 1  # the one bottle P01 took back as defective
    tickets[0].click()
    wait(browser).until(seen.url_contains("/tickets/P01/"))
    assert "Côtes du Rhône" in browser.find_element(By.TAG_NAME, "main").text


def test_every_page_of_the_menu_opens_and_is_kept_as_screenshots(served, browser):
    logged_in(browser, served, "admin")
    menu = [(link.text, link.get_attribute("href")) for link in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert {"Shops", "Alerts"} <= {label for label, _href in menu}
    for label, href in menu:
        browser.get(href)
        heading = browser.find_element(By.CSS_SELECTOR, "main h1").text
        assert heading and "Error" not in browser.title, (label, browser.title)
        screenshots(browser, "menu-" + label.lower().replace(" ", "-"))
