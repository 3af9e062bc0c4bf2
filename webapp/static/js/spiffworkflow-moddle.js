/* bpmn-moddle extension for SpiffWorkflow's BPMN extensions (prefix "spiffworkflow").
 *
 * Without it bpmn-js still reads the elements, but as untyped generic nodes that the
 * properties panel cannot edit safely. With it, every element the engine reads is a typed
 * moddle element, so import -> edit -> export keeps them (checked by the studio's browser
 * test). Element names are the types' names with the first letter lowercased (tagAlias).
 */
(function (root) {
  "use strict";

  function body(name, allowedIn) {
    return {
      name: name,
      superClass: ["Element"],
      meta: { allowedIn: allowedIn || ["*"] },
      properties: [{ name: "value", type: "String", isBody: true }]
    };
  }

  var TASKS = ["bpmn:Task", "bpmn:UserTask", "bpmn:ManualTask", "bpmn:ScriptTask",
    "bpmn:ServiceTask", "bpmn:BusinessRuleTask", "bpmn:SendTask", "bpmn:ReceiveTask",
    "bpmn:CallActivity", "bpmn:SubProcess"];
  var MESSAGES = ["bpmn:MessageEventDefinition", "bpmn:SendTask", "bpmn:ReceiveTask"];

  root.spiffworkflowModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      // Markdown/Jinja shown to the officer above a user task's form.
      body("InstructionsForEndUser", ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:EndEvent"]),
      // Python run before/after a task.
      body("PreScript", TASKS),
      body("PostScript", TASKS),
      // The DMN decision a business rule task evaluates.
      body("CalledDecisionId", ["bpmn:BusinessRuleTask"]),
      // Messages, signals, escalations and errors: where the payload comes from / goes to.
      body("MessageVariable", MESSAGES),
      body("MessagePayload", MESSAGES),
      body("PayloadExpression", ["bpmn:Escalation", "bpmn:Error", "bpmn:Signal",
        "bpmn:Message"]),
      body("VariableName", ["bpmn:Escalation", "bpmn:Error", "bpmn:Signal", "bpmn:Message",
        "bpmn:EscalationEventDefinition", "bpmn:ErrorEventDefinition",
        "bpmn:SignalEventDefinition"]),
      body("SignalPayload", ["bpmn:SignalEventDefinition"]),
      body("AllowGuest", ["bpmn:UserTask", "bpmn:ManualTask"]),
      body("GuestConfirmation", ["bpmn:UserTask", "bpmn:ManualTask"]),
      {
        // <spiffworkflow:properties><spiffworkflow:property name=".." value=".."/></..>
        name: "Properties",
        superClass: ["Element"],
        meta: { allowedIn: ["*"] },
        properties: [{ name: "properties", type: "Property", isMany: true }]
      },
      {
        name: "Property",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      },
      {
        name: "ProcessVariableCorrelation",
        superClass: ["Element"],
        meta: { allowedIn: ["bpmn:CorrelationProperty"] },
        properties: [
          { name: "propertyId", type: "String" },
          { name: "expression", type: "String" }
        ]
      },
      {
        name: "ServiceTaskOperator",
        superClass: ["Element"],
        meta: { allowedIn: ["bpmn:ServiceTask"] },
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "resultVariable", type: "String", isAttr: true },
          { name: "parameters", type: "Parameters" }
        ]
      },
      {
        name: "Parameters",
        superClass: ["Element"],
        properties: [{ name: "parameters", type: "Parameter", isMany: true }]
      },
      {
        name: "Parameter",
        superClass: ["Element"],
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "type", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      },
      {
        name: "UnitTests",
        superClass: ["Element"],
        meta: { allowedIn: ["bpmn:ScriptTask"] },
        properties: [{ name: "unitTests", type: "UnitTest", isMany: true }]
      },
      {
        name: "UnitTest",
        superClass: ["Element"],
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "inputJson", type: "InputJson" },
          { name: "expectedOutputJson", type: "ExpectedOutputJson" }
        ]
      },
      body("InputJson"),
      body("ExpectedOutputJson")
    ]
  };
})(typeof window !== "undefined" ? window : this);
