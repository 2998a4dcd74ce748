#!/usr/bin/python3
"""checkout_browser.py URL OUTDIR PAYER - drives the sample checkout page in headless
Chromium (Debian's chromium + chromium-driver + python3-selenium): enter an amount,
get the QR code, let the wallet sample pay it from a screenshot of the page's QR
(PAYER = consumer_scan_pay, which pays through the simulator's payer), see "paid",
refund, see "refunded"; a second order is paid and voided. Prints one line per step
("step: ..."); screenshots go to OUTDIR. Exit 0 done, 1 a step failed, 77 the
browser cannot run here (the caller reports a skip)."""
import subprocess
import sys

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    print("skip: python3-selenium missing: %s" % e)
    sys.exit(77)

url, outdir, payer = sys.argv[1:4]
opts = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
          "--window-size=800,1000"):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
try:
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
except Exception as e:  # no display libraries, no sandbox support, ...
    print("skip: chromium does not start here: %s" % str(e).splitlines()[0])
    sys.exit(77)


def status_is(text, timeout=30):
    WebDriverWait(drv, timeout).until(EC.text_to_be_present_in_element((By.ID, "status"), text))
    return drv.find_element(By.ID, "status").text == text


def order(amount, name):
    box = drv.find_element(By.ID, "amount")
    box.clear()
    box.send_keys(amount)
    drv.find_element(By.ID, "create").click()
    status_is("waiting for payment")
    WebDriverWait(drv, 10).until(lambda d: d.execute_script(
        "const i = document.getElementById('qr'); return i.complete && i.naturalWidth > 0;"))
    print("step: QR shown for order %s" % drv.find_element(By.ID, "order-id").text)
    shot = "%s/%s-qr.png" % (outdir, name)
    drv.find_element(By.ID, "qr").screenshot(shot)
    pay = subprocess.run([payer, shot], capture_output=True, text=True)
    print("step: wallet scanned the screen and paid: exit %d, %s" %
          (pay.returncode, pay.stdout.strip().splitlines()[-1] if pay.stdout.strip() else pay.stderr.strip()))
    if status_is("paid"):
        print("step: page shows paid")
        drv.save_screenshot("%s/checkout-%s-paid.png" % (outdir, name))


try:
    drv.get(url)
    print("step: page loaded: %s" % drv.title)
    order("12.34", "refund")
    drv.find_element(By.ID, "refund").click()
    if status_is("refunded"):
        print("step: page shows refunded")
    drv.save_screenshot("%s/checkout-refunded.png" % outdir)
    order("5.60", "void")
    drv.find_element(By.ID, "void").click()
    if status_is("voided"):
        print("step: page shows voided")
    drv.save_screenshot("%s/checkout-voided.png" % outdir)
except Exception as e:
    drv.save_screenshot("%s/checkout-failed.png" % outdir)
    print("failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    print("page status: %s" % drv.find_element(By.ID, "status").text)
    print("page error: %s" % drv.find_element(By.ID, "error").text)
    drv.quit()
    sys.exit(1)
drv.quit()
