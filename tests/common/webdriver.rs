//! A minimal W3C WebDriver client over HTTP, enough to drive Debian's headless Chromium through
//! chromedriver: open pages, fill and submit forms, read text, take screenshots.

use base64::Engine;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    client: reqwest::Client,
    session: String,
    base: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub type Step<T> = Result<T, String>;

impl Browser {
    /// Starts chromedriver and a headless Chromium with a phone-sized window.
    pub async fn start() -> Browser {
        let driver_path = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromedriver is not installed: run `bash scripts/test`, which installs chromium and chromium-driver");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(driver_path).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(super::unique("fk_chromium"));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=390,844",
                     format!("--user-data-dir={}", profile.display())]
        }}}});
        let response: Value = client.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = response["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {response}")).to_string();
        let browser = Browser { driver, client, session, base };
        // Element look-ups wait for the page a click or submit is loading.
        browser.command(reqwest::Method::POST, "/timeouts", Some(json!({"implicit": 5000}))).await.expect("set timeouts");
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Step<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.client.request(method, url);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let value: Value = request.send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
        if value["value"]["error"].is_string() {
            return Err(format!("{path}: {}", value["value"]["message"]));
        }
        Ok(value["value"].clone())
    }

    pub async fn goto(&self, url: &str) -> Step<()> {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await.map(|_| ())
    }

    pub async fn url(&self) -> Step<String> {
        Ok(self.command(reqwest::Method::GET, "/url", None).await?.as_str().unwrap_or_default().to_string())
    }

    /// Forgets every cookie, as an expired session would leave the page.
    pub async fn delete_cookies(&self) -> Step<()> {
        self.command(reqwest::Method::DELETE, "/cookie", None).await.map(|_| ())
    }

    pub async fn find(&self, css: &str) -> Step<String> {
        let v = self.command(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await.map_err(|e| format!("find {css}: {e}"))?;
        Ok(v[ELEMENT_KEY].as_str().ok_or(format!("no element {css}"))?.to_string())
    }

    pub async fn exists(&self, css: &str) -> Step<bool> {
        let v = self.command(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css}))).await?;
        Ok(!v.as_array().map(Vec::is_empty).unwrap_or(true))
    }

    /// Runs `suffix` on the element `css` finds. If a navigation replaced that element between the
    /// look-up and the command (the page a click loads landing), it is found again on the new page.
    async fn on_element(&self, css: &str, method: reqwest::Method, suffix: &str, body: Option<Value>) -> Step<Value> {
        for _ in 0..20 {
            let el = self.find(css).await?;
            match self.command(method.clone(), &format!("/element/{el}{suffix}"), body.clone()).await {
                // Read while the page was being replaced: look the element up again.
                Err(e) if e.contains("stale element") || e.contains("does not belong to the document") => tokio::time::sleep(Duration::from_millis(100)).await,
                other => return other,
            }
        }
        Err(format!("{css}: replaced by every page load for 2 s"))
    }

    pub async fn fill(&self, css: &str, text: &str) -> Step<()> {
        self.on_element(css, reqwest::Method::POST, "/clear", Some(json!({}))).await?;
        self.on_element(css, reqwest::Method::POST, "/value", Some(json!({"text": text}))).await.map(|_| ())
    }

    /// Chooses the file at `path` in a file input, as a person picking a photo does.
    pub async fn attach(&self, css: &str, path: &std::path::Path) -> Step<()> {
        self.on_element(css, reqwest::Method::POST, "/value", Some(json!({"text": path.display().to_string()}))).await.map(|_| ())
    }

    pub async fn click(&self, css: &str) -> Step<()> {
        self.on_element(css, reqwest::Method::POST, "/click", Some(json!({}))).await.map(|_| ())
    }

    pub async fn text(&self, css: &str) -> Step<String> {
        Ok(self.on_element(css, reqwest::Method::GET, "/text", None).await?.as_str().unwrap_or_default().to_string())
    }

    pub async fn value(&self, css: &str) -> Step<String> {
        self.property(css, "value").await
    }

    /// A DOM property of the element as text (`value`, `validationMessage`…).
    pub async fn property(&self, css: &str, name: &str) -> Step<String> {
        Ok(self.on_element(css, reqwest::Method::GET, &format!("/property/{name}"), None).await?.as_str().unwrap_or_default().to_string())
    }

    /// Waits (up to 5 s) until the element's text contains `part`: a form that comes back to the same
    /// address has loaded its answer.
    pub async fn wait_for_text(&self, css: &str, part: &str) -> Step<String> {
        let mut text = String::new();
        for _ in 0..50 {
            text = self.text(css).await?;
            if text.contains(part) {
                return Ok(text);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("{css} never said {part:?}; it says {text:?}"))
    }

    /// Waits (up to 5 s) until the address contains `part`: a submitted form's page has loaded.
    pub async fn wait_for_url(&self, part: &str) -> Step<()> {
        for _ in 0..50 {
            if self.url().await?.contains(part) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("the address never contained {part:?}: {}", self.url().await?))
    }

    /// Sets an input's value as a date picker would (typing into a date input depends on the locale).
    pub async fn set_value(&self, css: &str, value: &str) -> Step<()> {
        let el = self.find(css).await?;
        let script = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));";
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": [{ELEMENT_KEY: el}, value]}))).await.map(|_| ())
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str) -> Step<Value> {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Step<String> {
        Ok(self.on_element(css, reqwest::Method::GET, &format!("/attribute/{name}"), None).await?.as_str().unwrap_or_default().to_string())
    }

    /// Prints the current page to PDF as the browser's print dialog would, on A4 portrait with the
    /// page's own print stylesheet, and returns the PDF's bytes.
    pub async fn print_a4_portrait(&self) -> Step<Vec<u8>> {
        let options = json!({"orientation": "portrait", "page": {"width": 21.0, "height": 29.7}, "background": false, "shrinkToFit": false});
        let data = self.command(reqwest::Method::POST, "/print", Some(options)).await?;
        base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).map_err(|e| e.to_string())
    }

    /// Saves a PNG of the current page under `test-artifacts/`.
    pub async fn screenshot(&self, name: &str) -> Step<std::path::PathBuf> {
        let data = self.command(reqwest::Method::GET, "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).map_err(|e| e.to_string())?;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }
}
