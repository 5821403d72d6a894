/* The step editor on the campaign page: a live preview of the step being written, as a
   lead of the campaign's audience would get it (with any of its A/B test subjects), and a
   picker that inserts merge fields.
   The page's form is never submitted by this script; it only asks the server to render. */
(function () {
  "use strict";

  const panel = document.getElementById("step-preview");
  if (!panel) return;
  const form = panel.closest("form");
  const prefix = panel.dataset.prefix;
  const stepSelect = document.getElementById("preview-step");
  const leadSelect = document.getElementById("preview-lead");
  const variantSelect = document.getElementById("preview-variant");
  const variantLabel = document.getElementById("preview-variant-label");
  const status = document.getElementById("preview-status");
  const note = document.getElementById("preview-note");
  const errorBox = document.getElementById("preview-error");
  const result = document.getElementById("preview-result");
  const fullPreview = document.getElementById("preview-full");
  const TEMPLATE_FIELDS = ["subject", "body_template", "text_template"];
  const VARIANT_FIELDS = ["subject_b", "subject_c", "subject_d"]; // an A/B test's subjects
  const DELAY_MS = 400; // after the last keystroke
  let timer = null;
  let asked = 0; // the number of the latest request: older answers are dropped
  let lastField = null;

  function rows() {
    return Array.from(
      document.querySelectorAll(`#${prefix}-group .form-group:not(.empty-form)`)
    ).filter((row) => row.querySelector(`[name$="-subject"]`));
  }

  function field(row, name) {
    return row.querySelector(`[name^="${prefix}-"][name$="-${name}"]`);
  }

  function isDeleted(row) {
    const box = field(row, "DELETE");
    return box !== null && box.checked;
  }

  function stepLabel(row, index) {
    const name = field(row, "name").value.trim();
    const number = field(row, "order").value || index + 1;
    return name ? `Step ${number} · ${name}` : `Step ${number}`;
  }

  // The step selector lists the steps on the page, saved or not, in page order.
  function refreshSteps() {
    const chosen = stepSelect.value;
    const options = rows().map((row, index) => {
      const option = document.createElement("option");
      option.value = field(row, "subject").name.replace(/-subject$/, "");
      option.textContent = stepLabel(row, index) + (isDeleted(row) ? " (to be deleted)" : "");
      return option;
    });
    stepSelect.replaceChildren(...options);
    if (options.some((option) => option.value === chosen)) stepSelect.value = chosen;
  }

  function currentRow() {
    return rows().find((row) => field(row, "subject").name === `${stepSelect.value}-subject`);
  }

  const typeSelect = form.querySelector("[name=type]");
  function isSequence() {
    return typeSelect !== null && typeSelect.value === "sequence";
  }

  // Subjects B to D are a blast's A/B test: a sequence's steps show none (but one still
  // written, which saving refuses for a sequence, stays in view to be emptied).
  function showVariantFields() {
    for (const name of VARIANT_FIELDS) {
      for (const line of document.querySelectorAll(`#${prefix}-group .field-${name}`)) {
        const input = line.querySelector("input");
        line.style.display = isSequence() && !(input && input.value) ? "none" : "";
      }
    }
  }

  // "Send as a new email" is for a sequence's follow-ups (threaded as replies otherwise).
  function showThreadFields() {
    for (const line of document.querySelectorAll(`#${prefix}-group .field-new_thread`)) {
      line.style.display = isSequence() ? "" : "none";
    }
  }

  // The page's steps as the server reads them to tell what subject each is sent with.
  function stepRows() {
    return rows()
      .filter((row) => !isDeleted(row))
      .map((row) => ({
        key: rowKey(row),
        order: parseInt(field(row, "order").value, 10) || 0,
        is_active: field(row, "is_active") ? field(row, "is_active").checked : true,
        subject: field(row, "subject").value,
        new_thread: field(row, "new_thread") ? field(row, "new_thread").checked : false,
      }));
  }

  function rowKey(row) {
    return field(row, "subject").name.replace(/-subject$/, "");
  }

  // Beside each subject: what it is replaced with when the step goes in the first thread,
  // and a button that sends this step as a new email instead.
  function showSubjects(subjects) {
    for (const row of rows()) {
      const input = field(row, "subject");
      const line = input.closest(".grow") || input.parentElement;
      let note = row.querySelector(".step-threaded-note");
      const sent = subjects && subjects[rowKey(row)];
      if (!sent || !sent.threaded) {
        if (note) note.hidden = true;
        continue;
      }
      if (!note) {
        note = document.createElement("div");
        note.className = "step-threaded-note max-w-2xl text-sm mt-2 p-2 rounded-default bg-base-50 dark:bg-base-800";
        note.setAttribute("role", "note");
        const words = document.createElement("span");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "block text-left mt-1 text-primary-600 underline";
        button.textContent = panel.dataset.newThreadButton;
        button.addEventListener("click", () => {
          const box = field(row, "new_thread");
          if (!box) return;
          box.checked = true;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        });
        note.append(words, button);
        line.append(note);
      }
      note.firstChild.textContent = panel.dataset.threadedNote.replace("SUBJECT", sent.subject);
      note.hidden = false;
    }
  }

  // The subject selector lists A and each of B to D written in the step previewed.
  function refreshVariants() {
    const row = currentRow();
    const chosen = variantSelect.value;
    const letters = ["A"];
    for (const name of VARIANT_FIELDS) {
      const input = row && !isSequence() && field(row, name);
      if (input && input.value.trim()) letters.push(name.slice(-1).toUpperCase());
    }
    variantSelect.replaceChildren(...letters.map((letter) => new Option(`Subject ${letter}`, letter)));
    variantSelect.value = letters.includes(chosen) ? chosen : "A";
    show(variantLabel, letters.length > 1);
  }

  function show(element, visible) {
    element.hidden = !visible;
  }

  async function render() {
    const row = currentRow();
    if (!row) {
      status.textContent = "Add a step to see its preview.";
      show(result, false);
      return;
    }
    const number = ++asked;
    const data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("campaign", panel.dataset.campaign);
    const organization = form.querySelector("[name=organization]");
    if (organization) data.append("organization", organization.value);
    const account = form.querySelector("[name=email_account]");
    if (account) data.append("account", account.value);
    // Sent from each lead's agent: the lead's sender fills in {{ sender }}.
    const fromAgents = form.querySelector("[name=send_from_agents]");
    if (fromAgents) data.append("send_from_agents", fromAgents.checked ? "1" : "");
    // The language of the emails, as chosen (saved or not): footer, card and formats.
    const language = form.querySelector("[name=language]");
    if (language) data.append("language", language.value);
    data.append("lead", leadSelect.value);
    if (typeSelect) data.append("type", typeSelect.value);
    const threading = form.querySelector("[name=thread_follow_ups]");
    if (threading) data.append("thread_follow_ups", threading.checked ? "1" : "");
    data.append("steps", JSON.stringify(stepRows()));
    data.append("step", rowKey(row));
    for (const name of TEMPLATE_FIELDS) data.append(name, field(row, name).value);
    for (const name of VARIANT_FIELDS) {
      const input = field(row, name);
      if (input) data.append(name, input.value);
    }
    data.append("variant", variantSelect.value);
    status.textContent = "Updating…";
    let answer;
    try {
      const response = await fetch(panel.dataset.url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      answer = await response.json();
    } catch (failure) {
      if (number === asked) status.textContent = "The preview could not be updated: " + failure.message;
      return;
    }
    if (number !== asked) return;
    status.textContent = "";
    fillLeads(answer);
    showSubjects(answer.subjects);
    note.textContent = answer.note || "";
    show(note, Boolean(answer.note));
    const stepId = field(row, "id");
    fullPreview.href = panel.dataset.fullPreview.replace("STEP", stepId ? stepId.value : "");
    show(fullPreview, Boolean(stepId && stepId.value));
    if (answer.error) {
      errorBox.textContent =
        (answer.error.part ? `In the ${answer.error.part}: ` : "") + answer.error.message;
      show(errorBox, true);
      result.classList.add("step-editor-stale"); // the last good preview stays, dimmed
      return;
    }
    show(errorBox, false);
    show(result, true);
    result.classList.remove("step-editor-stale");
    document.getElementById("preview-subject").textContent = answer.subject;
    document.getElementById("preview-html").srcdoc = answer.html;
    document.getElementById("preview-text").textContent = answer.text;
  }

  function fillLeads(answer) {
    if (leadSelect.options.length && leadSelect.dataset.filled === "1") return;
    const options = answer.leads.map((lead) => new Option(lead.label, lead.id));
    leadSelect.replaceChildren(...options);
    if (answer.lead) leadSelect.value = answer.lead.id;
    leadSelect.dataset.filled = "1";
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(render, DELAY_MS);
  }

  // Typing in a step previews that step; typing in one of its subjects, that subject.
  form.addEventListener("input", (event) => {
    const row = event.target.closest(`#${prefix}-group .form-group`);
    if (row && !row.classList.contains("empty-form")) {
      refreshSteps();
      stepSelect.value = field(row, "subject").name.replace(/-subject$/, "");
      refreshVariants();
      const typed = (event.target.name || "").match(/-subject(?:_([bcd]))?$/);
      if (typed) variantSelect.value = typed[1] ? typed[1].toUpperCase() : "A";
    }
    if (["email_account", "send_from_agents", "language"].includes(event.target.name) || row) later();
  });
  form.addEventListener("change", (event) => {
    const name = event.target.name || "";
    if (name.endsWith("-DELETE")) refreshSteps();
    if (event.target === typeSelect) {
      showVariantFields();
      showThreadFields();
      refreshVariants();
      render();
    } else if (
      name === "thread_follow_ups" ||
      name.endsWith("-new_thread") ||
      name.endsWith("-is_active") ||
      name.endsWith("-DELETE")
    ) {
      render(); // which subjects threading replaces
    }
  });
  form.addEventListener("focusin", (event) => {
    const name = event.target.name || "";
    const parts = [...TEMPLATE_FIELDS, ...VARIANT_FIELDS];
    if (parts.some((part) => name.startsWith(`${prefix}-`) && name.endsWith(`-${part}`))) {
      lastField = event.target;
    }
  });
  stepSelect.addEventListener("change", () => {
    refreshVariants();
    render();
  });
  leadSelect.addEventListener("change", render);
  variantSelect.addEventListener("change", render);

  // A new step takes the next number, and becomes the one previewed.
  document.addEventListener("formset:added", (event) => {
    if (event.detail.formsetName !== prefix) return;
    const row = event.target.closest(".form-group");
    const numbers = rows()
      .filter((other) => other !== row)
      .map((other) => parseInt(field(other, "order").value, 10) || 0);
    field(row, "order").value = Math.max(0, ...numbers) + 1;
    refreshSteps();
    stepSelect.value = field(row, "subject").name.replace(/-subject$/, "");
    showVariantFields();
    showThreadFields();
    refreshVariants();
    render();
  });
  document.addEventListener("formset:removed", () => {
    refreshSteps();
    render();
  });

  // The picker inserts at the cursor of the field last typed in (the body by default);
  // pressing a button does not take the focus away from it.
  for (const button of panel.querySelectorAll("[data-code]")) {
    button.addEventListener("mousedown", (event) => event.preventDefault());
    button.addEventListener("click", () => {
      const row = currentRow();
      const target = lastField && document.body.contains(lastField)
        ? lastField
        : row && field(row, "body_template");
      if (!target) return;
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? start;
      target.setRangeText(button.dataset.code, start, end, "end");
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  refreshSteps();
  showVariantFields();
  showThreadFields();
  refreshVariants();
  render();
})();
